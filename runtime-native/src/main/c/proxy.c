/* mg-proxy: publishes a container's port on the host, as docker-proxy does.
 *
 *   mg-proxy LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT CONTAINER_PID
 *
 * Binds and listens first, so that "address already in use" reaches the caller, then detaches (setsid) and
 * prints "ok <pid>" on stdout. Each accepted connection is relayed by a forked child to TARGET; half-closes are
 * passed on. It exits by itself when the container's init exits (a pidfd of CONTAINER_PID becomes readable),
 * so a crashed caller leaves no proxy behind. IPv4 only. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "error.h"
#include "util.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

static int
parse_endpoint (const char *addr, const char *port, struct sockaddr_in *out, struct mg_error *e)
{
  char *end = NULL;
  long p = strtol (port, &end, 10);
  if (*port == '\0' || *end != '\0' || p < 1 || p > 65535)
    return mg_fail (e, 0, "port '%s' is not a number from 1 to 65535", port);
  memset (out, 0, sizeof (*out));
  out->sin_family = AF_INET;
  out->sin_port = htons ((uint16_t) p);
  if (inet_pton (AF_INET, addr, &out->sin_addr) != 1)
    return mg_fail (e, 0, "'%s' is not an IPv4 address", addr);
  return 0;
}

static int
listen_on (const struct sockaddr_in *addr, const char *text, const char *port, struct mg_error *e)
{
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return mg_fail_errno (e, "socket");
  int one = 1;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof (one));
  if (bind (fd, (const struct sockaddr *) addr, sizeof (*addr)) < 0)
    {
      int saved = errno;
      close (fd);
      return mg_fail (e, saved, "publish %s:%s", text, port);
    }
  if (listen (fd, 128) < 0)
    {
      int saved = errno;
      close (fd);
      return mg_fail (e, saved, "listen on %s:%s", text, port);
    }
  return fd;
}

/* Copies what one side has to the other; on end of input passes the half-close on. Returns 0 when that side is
 * done, 1 when data moved, -1 on error. */
static int
pump (int from, int to)
{
  char buf[65536];
  ssize_t n = read (from, buf, sizeof (buf));
  if (n < 0)
    return errno == EINTR || errno == EAGAIN ? 1 : -1;
  if (n == 0)
    {
      shutdown (to, SHUT_WR);
      return 0;
    }
  return mg_write_all (to, buf, (size_t) n) < 0 ? -1 : 1;
}

static void
relay (int client, const struct sockaddr_in *target)
{
  int upstream = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (upstream < 0 || connect (upstream, (const struct sockaddr *) target, sizeof (*target)) < 0)
    _exit (1);
  int one = 1;
  setsockopt (client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  setsockopt (upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof (one));
  int sock[2] = { client, upstream };
  struct pollfd fds[2] = { { .fd = client, .events = POLLIN }, { .fd = upstream, .events = POLLIN } };
  int open_sides = 2;
  while (open_sides > 0)
    {
      if (poll (fds, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          _exit (1);
        }
      for (int i = 0; i < 2; i++)
        {
          if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
          int r = pump (sock[i], sock[1 - i]);
          if (r < 0)
            _exit (1);
          if (r == 0)
            {
              fds[i].fd = -1;
              open_sides--;
            }
        }
    }
  _exit (0);
}

static int
serve (int listener, int pidfd, const struct sockaddr_in *target)
{
  struct pollfd fds[2] = { { .fd = listener, .events = POLLIN }, { .fd = pidfd, .events = POLLIN } };
  for (;;)
    {
      if (poll (fds, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (fds[1].revents)
        return 0; /* the container is gone */
      if (!(fds[0].revents & POLLIN))
        continue;
      int client = accept4 (listener, NULL, NULL, SOCK_CLOEXEC);
      if (client < 0)
        continue;
      pid_t child = fork ();
      if (child == 0)
        {
          close (listener);
          close (pidfd);
          relay (client, target);
        }
      close (client);
    }
}

int
main (int argc, char **argv)
{
  struct mg_error e = { 0 };
  char text[1200];
  if (argc != 6)
    {
      fprintf (stderr, "usage: mg-proxy LISTEN_ADDR LISTEN_PORT TARGET_ADDR TARGET_PORT CONTAINER_PID\n");
      return 2;
    }
  struct sockaddr_in listen_addr, target;
  if (parse_endpoint (argv[1], argv[2], &listen_addr, &e) < 0 || parse_endpoint (argv[3], argv[4], &target, &e) < 0)
    {
      fprintf (stderr, "%s\n", mg_error_text (&e, text, sizeof (text)));
      return 2;
    }
  pid_t watched = (pid_t) atol (argv[5]);
  int pidfd = watched > 0 ? (int) syscall (SYS_pidfd_open, watched, 0) : -1;
  if (pidfd < 0)
    {
      mg_fail_errno (&e, "watch container process %s", argv[5]);
      fprintf (stderr, "%s\n", mg_error_text (&e, text, sizeof (text)));
      return 1;
    }
  int listener = listen_on (&listen_addr, argv[1], argv[2], &e);
  if (listener < 0)
    {
      fprintf (stderr, "%s\n", mg_error_text (&e, text, sizeof (text)));
      return 1;
    }
  signal (SIGCHLD, SIG_IGN); /* relays are reaped by the kernel */
  signal (SIGPIPE, SIG_IGN);
  pid_t daemon = fork ();
  if (daemon < 0)
    {
      perror ("mg-proxy: fork");
      return 1;
    }
  if (daemon > 0)
    {
      printf ("ok %d\n", (int) daemon);
      return 0;
    }
  setsid ();
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0)
    {
      dup2 (null, 0);
      dup2 (null, 1);
      dup2 (null, 2);
    }
  return serve (listener, pidfd, &target) < 0 ? 1 : 0;
}
