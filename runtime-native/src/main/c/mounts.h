/* The container's filesystem: overlay root, /proc, /dev, /sys, the spec's mounts, masked and read-only
 * paths, then pivot_root. Runs in the container's first process, inside its new mount namespace. */
#ifndef MG_MOUNTS_H
#define MG_MOUNTS_H

#include "error.h"
#include "spec.h"

/* Everything up to and including pivot_root (and the read-only remount of / when asked for). On return
 * the process's root and working directory are the container's root. */
int mg_setup_rootfs (const struct mg_spec *spec, const char *state_dir, struct mg_error *e);

#endif
