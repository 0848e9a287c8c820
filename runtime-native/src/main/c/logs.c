#include "logs.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "util.h"

int
mg_log_open (struct mg_log *log, const char *path, long long max, struct mg_error *e)
{
  snprintf (log->path, sizeof log->path, "%s", path);
  log->max = max;
  log->fd = open (path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (log->fd < 0)
    return mg_fail_errno (e, "open %s", path);
  struct stat st;
  log->size = fstat (log->fd, &st) == 0 ? st.st_size : 0;
  return 0;
}

static void
rotate (struct mg_log *log)
{
  char old[sizeof log->path + 2];
  snprintf (old, sizeof old, "%s.1", log->path);
  if (rename (log->path, old) < 0)
    return;
  int fd = open (log->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0)
    return;
  close (log->fd);
  log->fd = fd;
  log->size = 0;
}

static void
entry (struct mg_log *log, const char *stream, char tag, const char *text, size_t len)
{
  char head[64];
  mg_now_rfc3339 (head, sizeof head);
  size_t hlen = strlen (head);
  hlen += (size_t) snprintf (head + hlen, sizeof head - hlen, " %s %c ", stream, tag);
  long long n = (long long) (hlen + len + 1);
  if (log->size > 0 && log->size + n > log->max)
    rotate (log);
  struct iovec iov[3] = { { head, hlen }, { (void *) text, len }, { "\n", 1 } };
  if (writev (log->fd, iov, 3) == n)
    log->size += n;
}

void
mg_log_write (struct mg_log *log, const char *stream, const char *buf, size_t len)
{
  while (len > 0)
    {
      const char *nl = memchr (buf, '\n', len);
      if (nl == NULL)
        {
          entry (log, stream, 'P', buf, len);
          return;
        }
      entry (log, stream, 'F', buf, (size_t) (nl - buf));
      len -= (size_t) (nl - buf) + 1;
      buf = nl + 1;
    }
}

void
mg_log_close (struct mg_log *log)
{
  if (log->fd >= 0)
    close (log->fd);
  log->fd = -1;
}
