#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

void
mg_freep (void *p)
{
  free (*(void **) p);
}

void
mg_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
}

void
mg_fclosep (FILE **f)
{
  if (*f)
    fclose (*f);
}

int
mg_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
mg_read_file (const char *path, char **out, size_t *len, struct mg_error *e)
{
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return mg_fail_errno (e, "open %s", path);
  size_t cap = 4096, used = 0;
  cleanup_free char *buf = malloc (cap);
  if (buf == NULL)
    return mg_fail_errno (e, "read %s", path);
  for (;;)
    {
      if (used + 1 >= cap)
        {
          char *bigger = realloc (buf, cap * 2);
          if (bigger == NULL)
            return mg_fail_errno (e, "read %s", path);
          buf = bigger;
          cap *= 2;
        }
      ssize_t n = read (fd, buf + used, cap - used - 1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return mg_fail_errno (e, "read %s", path);
      if (n == 0)
        break;
      used += (size_t) n;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_ptr (buf);
  return 0;
}

int
mg_write_file_atomic (const char *path, const char *content, struct mg_error *e)
{
  char tmp[4096];
  if ((size_t) snprintf (tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
    return mg_fail (e, ENAMETOOLONG, "write %s", path);
  cleanup_close int fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return mg_fail_errno (e, "open %s", tmp);
  if (mg_write_all (fd, content, strlen (content)) < 0 || fsync (fd) < 0)
    return mg_fail_errno (e, "write %s", tmp);
  if (rename (tmp, path) < 0)
    return mg_fail_errno (e, "rename %s", tmp);
  return 0;
}

int
mg_proc_starttime (pid_t pid, unsigned long long *out, struct mg_error *e)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/stat", pid);
  cleanup_free char *stat = NULL;
  if (mg_read_file (path, &stat, NULL, e) < 0)
    return -1;
  /* The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'. */
  char *p = strrchr (stat, ')');
  if (p == NULL)
    return mg_fail (e, EINVAL, "parse %s", path);
  p++;
  /* p is at the space before field 3 (state); step to the space before field 22 (start time). */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p + 1, ' ');
      if (p == NULL)
        return mg_fail (e, EINVAL, "parse %s", path);
    }
  *out = strtoull (p + 1, NULL, 10);
  return 0;
}

int
mg_write_pid_file (const char *path, pid_t pid, struct mg_error *e)
{
  unsigned long long start;
  if (mg_proc_starttime (pid, &start, e) < 0)
    return -1;
  char line[64];
  snprintf (line, sizeof line, "%d %llu\n", pid, start);
  return mg_write_file_atomic (path, line, e);
}

static int
close_range_raw (unsigned int first, unsigned int last)
{
  if (first > last)
    return 0;
  return (int) syscall (SYS_close_range, first, last, 0);
}

int
mg_close_fds_from (int from, int keep)
{
  int ret;
  if (keep >= from)
    ret = close_range_raw ((unsigned) from, (unsigned) keep - 1) == 0
                  && close_range_raw ((unsigned) keep + 1, ~0U) == 0
              ? 0
              : -1;
  else
    ret = close_range_raw ((unsigned) from, ~0U);
  if (ret == 0)
    return 0;
  /* Kernels before 5.9: read the open fds from /proc, then close them (not while reading). */
  DIR *dir = opendir ("/proc/self/fd");
  if (dir == NULL)
    return -1;
  int fds[4096], n = 0, self = dirfd (dir);
  struct dirent *d;
  while ((d = readdir (dir)) != NULL && n < (int) (sizeof fds / sizeof fds[0]))
    {
      int fd = atoi (d->d_name);
      if (d->d_name[0] >= '0' && d->d_name[0] <= '9' && fd >= from && fd != keep && fd != self)
        fds[n++] = fd;
    }
  closedir (dir);
  for (int i = 0; i < n; i++)
    close (fds[i]);
  return 0;
}

void
mg_now_rfc3339 (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  size_t n = strftime (buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf + n, len - n, ".%09ldZ", ts.tv_nsec);
}
