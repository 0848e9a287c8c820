/* Capabilities and privileges of the container's processes: Docker's default 14 capabilities, nothing
 * ambient or inheritable, no_new_privs. */
#ifndef MG_CAPS_H
#define MG_CAPS_H

#include <stdint.h>

#include "error.h"

/* CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD
 * AUDIT_WRITE SETFCAP: the mask Docker reports as CapBnd 00000000a80425fb. */
#define MG_DEFAULT_CAPS UINT64_C (0x00000000a80425fb)

/* Drops every capability outside MG_DEFAULT_CAPS from the bounding set (needs CAP_SETPCAP: do it first). */
int mg_caps_drop_bounding (struct mg_error *e);

/* Effective and permitted = MG_DEFAULT_CAPS, inheritable and ambient empty. Call after changing user with
 * PR_SET_KEEPCAPS; for a non-root user, execve then clears them as the kernel's rules say (as Docker). */
int mg_caps_apply (struct mg_error *e);

int mg_no_new_privs (struct mg_error *e);

#endif
