/* The container spec that the Java side writes to <state>/spec.
 *
 * Format: NUL-terminated strings. A header "modelgate-spec", "1", then records: a key followed by a fixed
 * number of fields (see the table in spec.c). List keys (lower, arg, env, bind, tmpfs, cgroup) repeat.
 * Java and C are built together, so an unknown key is an error rather than something to skip. */
#ifndef MG_SPEC_H
#define MG_SPEC_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

struct mg_bind
{
  const char *source; /* host path */
  const char *target; /* absolute path in the container */
  bool read_only;
};

struct mg_tmpfs
{
  const char *target;
  const char *options; /* tmpfs mount data, e.g. "size=64m,mode=1777"; may be empty */
};

enum mg_net
{
  MG_NET_NONE,   /* own network namespace, loopback only */
  MG_NET_BRIDGE, /* own network namespace; the veth is set up from outside before the child is released */
  MG_NET_HOST,   /* the host's network namespace */
};

struct mg_spec
{
  const char *id;
  const char *hostname;
  const char *cwd;
  const char *user; /* "", "uid", "uid:gid", names allowed (resolved in the container's /etc/passwd) */
  enum mg_net net;
  bool read_only_root;
  long long log_max; /* bytes per log file before rotation */

  const char **lower; /* image layer order: the base layer first */
  size_t n_lower;
  const char **argv; /* NULL-terminated */
  size_t argc;
  const char **env; /* NULL-terminated */
  size_t n_env;
  struct mg_bind *binds;
  size_t n_binds;
  struct mg_tmpfs *tmpfs;
  size_t n_tmpfs;
  const char **cgroups; /* cgroup directories; the container's pid goes to <dir>/cgroup.procs */
  size_t n_cgroups;

  char *data; /* the file; every string above points into it */
};

int mg_spec_read (const char *path, struct mg_spec *spec, struct mg_error *e);
void mg_spec_free (struct mg_spec *spec);

#endif
