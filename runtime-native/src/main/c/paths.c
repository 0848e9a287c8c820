#include "paths.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util.h"

static int
openat2_raw (int dirfd, const char *path, int flags, unsigned long long resolve)
{
  struct open_how how = { .flags = (unsigned long long) (flags | O_CLOEXEC), .resolve = resolve };
  int fd;
  do
    fd = (int) syscall (SYS_openat2, dirfd, path, &how, sizeof how);
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd;
}

int
mg_open_in_root (int rootfd, const char *path, int flags)
{
  return openat2_raw (rootfd, path, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* Splits "/a/b/c/" into parent "/a/b" and base "c" in buf; returns the base or NULL for the root. */
static const char *
split (const char *path, char *buf, size_t len, const char **parent)
{
  if (snprintf (buf, len, "%s", path) >= (int) len)
    return NULL;
  size_t n = strlen (buf);
  while (n > 1 && buf[n - 1] == '/')
    buf[--n] = '\0';
  char *slash = strrchr (buf, '/');
  if (slash == NULL)
    {
      *parent = "/";
      return buf;
    }
  if (slash[1] == '\0')
    return NULL; /* "/" itself */
  *slash = '\0';
  *parent = slash == buf ? "/" : buf;
  return slash + 1;
}

static int
create_in_root (int rootfd, const char *path, mode_t mode, int is_dir, struct mg_error *e)
{
  int fd = mg_open_in_root (rootfd, path, O_PATH | (is_dir ? O_DIRECTORY : 0));
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return mg_fail_errno (e, "open %s in the container", path);

  char buf[4096];
  const char *parent = NULL, *base = split (path, buf, sizeof buf, &parent);
  if (base == NULL || strcmp (base, "..") == 0 || strcmp (base, ".") == 0)
    return mg_fail (e, EINVAL, "create %s in the container", path);
  cleanup_close int parentfd = create_in_root (rootfd, parent, 0755, 1, e);
  if (parentfd < 0)
    return -1;
  if (is_dir)
    {
      if (mkdirat (parentfd, base, mode) < 0 && errno != EEXIST)
        return mg_fail_errno (e, "mkdir %s in the container", path);
    }
  else
    {
      int created = openat (parentfd, base, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode);
      if (created < 0 && errno != EEXIST)
        return mg_fail_errno (e, "create %s in the container", path);
      if (created >= 0)
        close (created);
    }
  /* What was just made is one component below parentfd: refuse it if it has become a symlink since. */
  fd = openat2_raw (parentfd, base, O_PATH | (is_dir ? O_DIRECTORY : 0), RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
  if (fd < 0)
    return mg_fail_errno (e, "open %s in the container", path);
  return fd;
}

int
mg_mkdir_in_root (int rootfd, const char *path, mode_t mode, struct mg_error *e)
{
  return create_in_root (rootfd, path, mode, 1, e);
}

int
mg_mkfile_in_root (int rootfd, const char *path, struct mg_error *e)
{
  return create_in_root (rootfd, path, 0644, 0, e);
}

const char *
mg_fd_path (int fd, char buf[static 32])
{
  snprintf (buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}
