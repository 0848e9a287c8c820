#include "container.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mounts.h"
#include "process.h"
#include "util.h"

struct child_args
{
  const struct mg_spec *spec;
  const char *state_dir;
  int sync_fd, status_fd, stdout_fd, stderr_fd;
};

static int
child_setup (struct child_args *a, struct mg_error *e)
{
  int host_null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (host_null < 0 || dup2 (host_null, 0) < 0 || dup2 (a->stdout_fd, 1) < 0 || dup2 (a->stderr_fd, 2) < 0)
    return mg_fail_errno (e, "set up stdin, stdout and stderr");

  /* Wait to be released: until then the monitor puts us in our cgroups (and others may configure our
   * network namespace), so that limits apply from the container's first instruction. */
  char go;
  if (read (a->sync_fd, &go, 1) != 1)
    _exit (1); /* the monitor gave up on us */

  const struct mg_spec *spec = a->spec;
  if (*spec->hostname && sethostname (spec->hostname, strlen (spec->hostname)) < 0)
    return mg_fail_errno (e, "sethostname %s", spec->hostname);
  if (mg_setup_rootfs (spec, a->state_dir, e) < 0)
    return -1;
  /* stdin again, from the container's /dev: the host's would show as "/null" in /proc/1/fd/0. */
  int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0 || dup2 (devnull, 0) < 0)
    return mg_fail_errno (e, "open /dev/null in the container");
  struct mg_process p = {
    .argv = spec->argv, .env = spec->env, .cwd = spec->cwd, .user = spec->user, .hostname = spec->hostname,
  };
  return mg_process_exec (&p, a->status_fd, e);
}

static int
child_main (void *arg)
{
  struct child_args *a = arg;
  struct mg_error e = { 0 };
  child_setup (a, &e);
  /* Only reached on failure: tell the monitor which step failed and why. */
  mg_write_all (a->status_fd, &e, sizeof e);
  _exit (1);
}

static char child_stack[256 * 1024] __attribute__ ((aligned (16)));

int
mg_container_create (const struct mg_spec *spec, const char *state_dir, struct mg_container *c,
                     struct mg_error *e)
{
  int sync[2], status[2], out[2], err[2];
  if (pipe2 (sync, O_CLOEXEC) < 0 || pipe2 (status, O_CLOEXEC) < 0 || pipe2 (out, O_CLOEXEC) < 0
      || pipe2 (err, O_CLOEXEC) < 0)
    return mg_fail_errno (e, "pipe");

  struct child_args a = {
    .spec = spec, .state_dir = state_dir, .sync_fd = sync[0], .status_fd = status[1], .stdout_fd = out[1],
    .stderr_fd = err[1],
  };
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | SIGCHLD;
  if (spec->net != MG_NET_HOST)
    flags |= CLONE_NEWNET;
  /* No CLONE_VM: the child gets its own copy of memory, like fork(), and the stack is just where it
   * starts. This process is single-threaded, so the child may run any code until execve. */
  pid_t pid = clone (child_main, child_stack + sizeof child_stack, flags, &a);
  int saved = errno;
  close (sync[0]);
  close (status[1]);
  close (out[1]);
  close (err[1]);
  if (pid < 0)
    {
      close (sync[1]);
      close (status[0]);
      close (out[0]);
      close (err[0]);
      errno = saved;
      return mg_fail_errno (e, "clone (new mount, pid, uts, ipc%s namespaces)", spec->net != MG_NET_HOST ? ", net" : "");
    }
  *c = (struct mg_container){
    .pid = pid, .sync_fd = sync[1], .status_fd = status[0], .stdout_fd = out[0], .stderr_fd = err[0],
  };
  return 0;
}

int
mg_container_join_cgroups (const struct mg_spec *spec, pid_t pid, struct mg_error *e)
{
  for (size_t i = 0; i < spec->n_cgroups; i++)
    {
      char path[4096], line[32];
      snprintf (path, sizeof path, "%s/cgroup.procs", spec->cgroups[i]);
      cleanup_close int fd = open (path, O_WRONLY | O_CLOEXEC);
      int len = snprintf (line, sizeof line, "%d", pid);
      if (fd < 0 || mg_write_all (fd, line, (size_t) len) < 0)
        return mg_fail_errno (e, "join cgroup %s", spec->cgroups[i]);
    }
  return 0;
}

int
mg_container_start (struct mg_container *c, struct mg_error *e)
{
  int w = mg_write_all (c->sync_fd, "g", 1);
  close (c->sync_fd);
  c->sync_fd = -1;
  if (w < 0)
    return mg_fail_errno (e, "release the container's process");

  struct mg_error child = { 0 };
  ssize_t n;
  do
    n = read (c->status_fd, &child, sizeof child);
  while (n < 0 && errno == EINTR);
  close (c->status_fd);
  c->status_fd = -1;
  if (n == 0)
    return 0;
  if (n != (ssize_t) sizeof child)
    return mg_fail (e, 0, "the container's process died while setting up (short status from it)");
  child.msg[sizeof child.msg - 1] = '\0';
  *e = child;
  return -1;
}
