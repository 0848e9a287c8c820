/* mg-monitor <state-dir>: starts the container described by <state-dir>/spec and stays with it, like
 * podman's conmon. It detaches (double fork, setsid) so that the container outlives whoever started it.
 *
 * Talking to the starter, over the monitor's stdin and stdout (lines):
 *   → "pid <pid>"                the container's init exists and is in its cgroups, not yet running
 *   ← "go"                       (anything else, or EOF: the container is killed and nothing runs)
 *   → "ok" | "error\t<errno>\t<what failed: why>"
 * then stdin and stdout are closed. stderr, the monitor's own diagnostics, stays where the starter put it.
 *
 * In <state-dir>: monitor.pid and pid ("<pid> <start time>"), ctr.log (+ ctr.log.1), and at the end
 * exit ("exit_code=N", "signal=S", "finished_at=T"), written atomically and last. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "logs.h"
#include "spec.h"
#include "util.h"

static const char *state_dir;

static void
diag (const char *fmt, ...)
{
  char ts[64];
  mg_now_rfc3339 (ts, sizeof ts);
  fprintf (stderr, "%s mg-monitor[%d] %s: ", ts, getpid (), state_dir);
  va_list ap;
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

static void
report (const char *fmt, ...)
{
  char line[2048];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (line, sizeof line - 1, fmt, ap);
  va_end (ap);
  if (n < 0)
    return;
  if (n > (int) sizeof line - 2)
    n = (int) sizeof line - 2;
  line[n++] = '\n';
  mg_write_all (1, line, (size_t) n);
}

static void
report_error (const struct mg_error *e)
{
  char text[1400];
  mg_error_text (e, text, sizeof text);
  for (char *p = text; *p; p++)
    if (*p == '\n' || *p == '\t')
      *p = ' ';
  diag ("%s", text);
  report ("error\t%d\t%s", e->err, text);
}

/* One line from stdin, without the newline; "" on EOF. */
static void
read_line (char *buf, size_t len)
{
  size_t n = 0;
  while (n + 1 < len)
    {
      ssize_t r = read (0, buf + n, 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0 || buf[n] == '\n')
        break;
      n++;
    }
  buf[n] = '\0';
}

/* Double fork and setsid: the monitor is nobody's child but init's (or a subreaper's), so the starter
 * neither has to reap it nor takes it down when it exits. The first process exits once the second has. */
static int
detach (void)
{
  /* The first process must outlive the talk with the starter: a JVM closes its ends of a child's pipes as
   * soon as that child exits. So it waits for EOF on this pipe, which the monitor closes when done. */
  int done[2];
  if (pipe2 (done, O_CLOEXEC) < 0)
    {
      perror ("mg-monitor: pipe");
      exit (1);
    }
  pid_t pid = fork ();
  if (pid < 0)
    {
      perror ("mg-monitor: fork");
      exit (1);
    }
  if (pid > 0)
    {
      close (done[1]);
      int status;
      waitpid (pid, &status, 0);
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        _exit (1);
      char c;
      while (read (done[0], &c, 1) < 0 && errno == EINTR)
        ;
      _exit (0);
    }
  close (done[0]);
  setsid ();
  pid = fork ();
  if (pid < 0)
    {
      perror ("mg-monitor: fork");
      _exit (1);
    }
  if (pid > 0)
    _exit (0);
  return done[1];
}

static int
make_dirs (struct mg_error *e)
{
  static const char *const dirs[] = { "rootfs", "upper", "work" };
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      char path[4096];
      snprintf (path, sizeof path, "%s/%s", state_dir, dirs[i]);
      if (mkdir (path, 0755) < 0 && errno != EEXIST)
        return mg_fail_errno (e, "mkdir %s", path);
    }
  return 0;
}

static void
write_exit (int status)
{
  int code = WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
  int sig = WIFSIGNALED (status) ? WTERMSIG (status) : 0;
  char ts[64], content[256], path[4096];
  mg_now_rfc3339 (ts, sizeof ts);
  snprintf (content, sizeof content, "exit_code=%d\nsignal=%d\nfinished_at=%s\n", code, sig, ts);
  snprintf (path, sizeof path, "%s/exit", state_dir);
  struct mg_error e = { 0 };
  if (mg_write_file_atomic (path, content, &e) < 0)
    {
      char text[1400];
      diag ("%s", mg_error_text (&e, text, sizeof text));
    }
}

static int
relay (int *fd, const char *stream, struct mg_log *log)
{
  char buf[8192];
  ssize_t n = read (*fd, buf, sizeof buf);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    {
      close (*fd);
      *fd = -1;
      return 0;
    }
  mg_log_write (log, stream, buf, (size_t) n);
  return 1;
}

/* Logs the container's output and forwards SIGTERM/SIGINT to it until it has exited and its output is
 * drained; returns its wait status. */
static int
watch (struct mg_container *c, int sigfd, struct mg_log *log)
{
  int status = 0, reaped = 0;
  struct pollfd fds[3] = { { sigfd, POLLIN, 0 }, { c->stdout_fd, POLLIN, 0 }, { c->stderr_fd, POLLIN, 0 } };
  while (!reaped || fds[1].fd >= 0 || fds[2].fd >= 0)
    {
      /* Once the init is gone its namespace is emptied, so the pipes close; a process that got hold of
       * one some other way gets a short grace period, not the power to keep the exit status unwritten. */
      int ready = poll (fds, 3, reaped ? 2000 : -1);
      if (ready < 0 && errno == EINTR)
        continue;
      if (ready <= 0)
        break;
      if (fds[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          if (read (sigfd, &si, sizeof si) == (ssize_t) sizeof si)
            {
              if (si.ssi_signo == SIGCHLD)
                {
                  int st;
                  pid_t pid;
                  while ((pid = waitpid (-1, &st, WNOHANG)) > 0)
                    if (pid == c->pid)
                      {
                        status = st;
                        reaped = 1;
                        fds[0].fd = -1;
                      }
                }
              else if (!reaped)
                kill (c->pid, (int) si.ssi_signo);
            }
        }
      for (int i = 1; i < 3; i++)
        if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
          relay (&fds[i].fd, i == 1 ? "stdout" : "stderr", log);
    }
  for (int i = 1; i < 3; i++)
    if (fds[i].fd >= 0)
      close (fds[i].fd);
  if (!reaped)
    waitpid (c->pid, &status, 0);
  return status;
}

int
main (int argc, char **argv)
{
  if (argc != 2 || argv[1][0] != '/')
    {
      fprintf (stderr, "usage: mg-monitor /absolute/state-dir (with a spec file in it)\n");
      return 2;
    }
  state_dir = argv[1];
  /* Closed when the starter has been told all it will be told (or with the monitor's exit). */
  int done = detach ();
  if (chdir ("/") < 0)
    diag ("chdir /: %s", strerror (errno));
  umask (022);
  signal (SIGPIPE, SIG_IGN);

  struct mg_error e = { 0 };
  struct mg_spec spec;
  char path[4096];
  snprintf (path, sizeof path, "%s/spec", state_dir);
  if (mg_spec_read (path, &spec, &e) < 0 || make_dirs (&e) < 0)
    {
      report_error (&e);
      return 1;
    }

  struct mg_log log;
  snprintf (path, sizeof path, "%s/ctr.log", state_dir);
  if (mg_log_open (&log, path, spec.log_max, &e) < 0)
    {
      report_error (&e);
      return 1;
    }

  /* Signals arrive through a signalfd; the child unblocks them again before execve. */
  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigaddset (&mask, SIGTERM);
  sigaddset (&mask, SIGINT);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  int sigfd = signalfd (-1, &mask, SFD_CLOEXEC);
  if (sigfd < 0)
    {
      mg_fail_errno (&e, "signalfd");
      report_error (&e);
      return 1;
    }

  struct mg_container c;
  if (mg_container_create (&spec, state_dir, &c, &e) < 0)
    {
      report_error (&e);
      return 1;
    }

  char pid_path[4096], monitor_path[4096];
  snprintf (pid_path, sizeof pid_path, "%s/pid", state_dir);
  snprintf (monitor_path, sizeof monitor_path, "%s/monitor.pid", state_dir);
  if (mg_container_join_cgroups (&spec, c.pid, &e) < 0 || mg_write_pid_file (monitor_path, getpid (), &e) < 0
      || mg_write_pid_file (pid_path, c.pid, &e) < 0)
    {
      kill (c.pid, SIGKILL);
      waitpid (c.pid, NULL, 0);
      report_error (&e);
      return 1;
    }

  report ("pid %d", c.pid);
  char answer[16];
  read_line (answer, sizeof answer);
  if (strcmp (answer, "go") != 0)
    {
      diag ("the starter went away before the container started: killing it");
      kill (c.pid, SIGKILL);
      waitpid (c.pid, NULL, 0);
      return 1;
    }

  if (mg_container_start (&c, &e) < 0)
    {
      waitpid (c.pid, NULL, 0);
      report_error (&e);
      return 1;
    }
  report ("ok");
  int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0)
    {
      dup2 (devnull, 0);
      dup2 (devnull, 1);
      close (devnull);
    }
  close (done);

  int status = watch (&c, sigfd, &log);
  mg_log_close (&log);
  write_exit (status);
  mg_spec_free (&spec);
  return 0;
}
