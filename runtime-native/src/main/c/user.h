/* The container's user: "user[:group]" by number or by name, names looked up in the container's own
 * /etc/passwd and /etc/group (call after pivot_root), as Docker does. */
#ifndef MG_USER_H
#define MG_USER_H

#include <sys/types.h>

#include "error.h"

#define MG_MAX_GROUPS 64

struct mg_user
{
  uid_t uid;
  gid_t gid;
  gid_t groups[MG_MAX_GROUPS]; /* supplementary: the groups in /etc/group that list the user */
  int n_groups;
  char home[512]; /* from /etc/passwd, "/" when unknown */
};

int mg_user_resolve (const char *spec, struct mg_user *user, struct mg_error *e);

/* setgroups (the primary group and the supplementary ones), setresgid, setresuid, keeping the permitted capabilities for mg_caps_apply. */
int mg_user_apply (const struct mg_user *user, struct mg_error *e);

#endif
