/* The last steps before a container's program runs, shared by its init (mg-monitor) and by mg-exec:
 * user, capabilities, no_new_privs, working directory, environment, closing fds, execve. */
#ifndef MG_PROCESS_H
#define MG_PROCESS_H

#include "error.h"

struct mg_process
{
  const char *const *argv; /* argv[0] is looked up in the PATH of env */
  const char *const *env;  /* NULL-terminated "KEY=VALUE" */
  const char *cwd;
  const char *user;
  const char *hostname; /* for HOSTNAME when env lacks it */
};

/* Runs in the container's root and namespaces. Only returns on failure; keep_fd (an O_CLOEXEC error
 * pipe, or -1) stays open until execve so that the failure can still be reported. */
int mg_process_exec (const struct mg_process *process, int keep_fd, struct mg_error *e);

#endif
