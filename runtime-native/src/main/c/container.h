/* Creating the container's first process: clone into new namespaces, hold it until it is in its cgroups,
 * then let it build its root and execve, learning from a CLOEXEC pipe whether that worked. */
#ifndef MG_CONTAINER_H
#define MG_CONTAINER_H

#include <sys/types.h>

#include "error.h"
#include "spec.h"

struct mg_container
{
  pid_t pid;      /* the container's init, as the host sees it */
  int sync_fd;    /* one byte written here releases the child */
  int status_fd;  /* EOF once execve succeeded; a struct mg_error when a step failed */
  int stdout_fd;  /* the container's output */
  int stderr_fd;
};

/* Clones the child, which waits (in its new namespaces, nothing else done yet) until released. */
int mg_container_create (const struct mg_spec *spec, const char *state_dir, struct mg_container *c,
                         struct mg_error *e);

/* Writes the child's pid to <dir>/cgroup.procs for each of the spec's cgroups. */
int mg_container_join_cgroups (const struct mg_spec *spec, pid_t pid, struct mg_error *e);

/* Releases the child and waits until it has exec'd the program (0) or reported a failed step (-1, with
 * the child's own error in e). */
int mg_container_start (struct mg_container *c, struct mg_error *e);

#endif
