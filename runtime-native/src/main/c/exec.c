/* mg-exec <state-dir> -- <argv...>: runs a program inside a running container, like `docker exec`.
 *
 * It joins the container's cgroups and its ipc, uts, net, pid and mount namespaces (setns, which a
 * multithreaded JVM may not do for the mount namespace), then forks: the child is in the container's pid
 * namespace and becomes the program, as the container's user, with its capabilities, environment and
 * working directory. stdin, stdout and stderr are the caller's. The exit status is the program's, or
 * 128+signal; 126 when mg-exec could not set it up and 127 when the program was not found, with the
 * reason on stderr. SIGTERM, SIGINT, SIGHUP and SIGQUIT are forwarded to the program. */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "container.h"
#include "process.h"
#include "spec.h"
#include "util.h"

static volatile pid_t child_pid;

static void
forward (int sig)
{
  if (child_pid > 0)
    kill (child_pid, sig);
}

static int
fail (const struct mg_spec *spec, const struct mg_error *e)
{
  char text[1400];
  fprintf (stderr, "mg-exec: container %s: %s\n", spec && spec->id ? spec->id : "?",
           mg_error_text (e, text, sizeof text));
  return e->err == ENOENT && strncmp (e->msg, "exec ", 5) == 0 ? 127 : 126;
}

/* The container's init from <state>/pid, refused when it has exited or the pid is someone else's now. */
static int
container_pid (const char *state_dir, pid_t *pid, struct mg_error *e)
{
  char path[4096];
  snprintf (path, sizeof path, "%s/exit", state_dir);
  if (access (path, F_OK) == 0)
    return mg_fail (e, 0, "not running (it has exited)");
  snprintf (path, sizeof path, "%s/pid", state_dir);
  cleanup_free char *content = NULL;
  if (mg_read_file (path, &content, NULL, e) < 0)
    return -1;
  unsigned long long recorded, now;
  int p;
  if (sscanf (content, "%d %llu", &p, &recorded) != 2)
    return mg_fail (e, EINVAL, "parse %s", path);
  if (mg_proc_starttime (p, &now, e) < 0 || now != recorded)
    return mg_fail (e, ESRCH, "not running (pid %d is gone)", p);
  *pid = p;
  return 0;
}

static int
enter (const struct mg_spec *spec, pid_t pid, struct mg_error *e)
{
  /* Open every namespace first: after joining the mount namespace, /proc is the container's. */
  static const struct
  {
    const char *name;
    int type;
  } ns[] = {
    { "ipc", CLONE_NEWIPC }, { "uts", CLONE_NEWUTS }, { "net", CLONE_NEWNET }, { "pid", CLONE_NEWPID },
    { "mnt", CLONE_NEWNS },
  };
  int fds[5];
  for (int i = 0; i < 5; i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/%s", pid, ns[i].name);
      fds[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        return mg_fail_errno (e, "open %s", path);
    }
  if (mg_container_join_cgroups (spec, getpid (), e) < 0)
    return -1;
  for (int i = 0; i < 5; i++)
    {
      if (setns (fds[i], ns[i].type) < 0)
        return mg_fail_errno (e, "setns %s (/proc/%d/ns/%s)", ns[i].name, pid, ns[i].name);
      close (fds[i]);
    }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc < 4 || argv[1][0] != '/' || strcmp (argv[2], "--") != 0)
    {
      fprintf (stderr, "usage: mg-exec /absolute/state-dir -- program [args...]\n");
      return 126;
    }
  const char *state_dir = argv[1];
  struct mg_error e = { 0 };
  struct mg_spec spec;
  char path[4096];
  snprintf (path, sizeof path, "%s/spec", state_dir);
  if (mg_spec_read (path, &spec, &e) < 0)
    return fail (NULL, &e);
  pid_t pid = -1;
  if (container_pid (state_dir, &pid, &e) < 0 || enter (&spec, pid, &e) < 0)
    return fail (&spec, &e);

  /* Forwarding handlers go in before the fork, so that no signal finds the program without them. */
  struct sigaction sa = { .sa_handler = forward };
  sigemptyset (&sa.sa_mask);
  int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    sigaction (forwarded[i], &sa, NULL);

  pid_t child = fork ();
  if (child < 0)
    {
      mg_fail_errno (&e, "fork into the container's pid namespace");
      return fail (&spec, &e);
    }
  if (child == 0)
    {
      struct mg_process p = {
        .argv = (const char *const *) argv + 3, .env = spec.env, .cwd = spec.cwd, .user = spec.user,
        .hostname = spec.hostname,
      };
      mg_process_exec (&p, -1, &e);
      _exit (fail (&spec, &e));
    }
  child_pid = child;

  int status;
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      {
        mg_fail_errno (&e, "wait for pid %d", child);
        return fail (&spec, &e);
      }
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}
