#include "mounts.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

/* Docker's defaults (moby oci/defaults.go). */
static const char *const masked_paths[] = {
  "/proc/acpi",         "/proc/asound",     "/proc/interrupts", "/proc/kcore",
  "/proc/keys",         "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
  "/proc/sched_debug",  "/proc/scsi",       "/sys/firmware",    "/sys/devices/virtual/powercap",
};
static const char *const readonly_paths[] = {
  "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
};

static const struct
{
  const char *name;
  unsigned major, minor;
} devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static int
make_private (struct mg_error *e)
{
  /* Nothing mounted from here on may propagate back to the host (or arrive from it). */
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return mg_fail_errno (e, "make mounts private (mount --make-rprivate /)");
  return 0;
}

static int
mount_overlay (const struct mg_spec *spec, const char *state_dir, struct mg_error *e)
{
  /* overlayfs wants the topmost layer first; the spec lists the image's layers base first. */
  char data[4096];
  size_t used = (size_t) snprintf (data, sizeof data, "lowerdir=");
  for (size_t i = spec->n_lower; i-- > 0;)
    {
      used += (size_t) snprintf (data + used, used < sizeof data ? sizeof data - used : 0, "%s%s",
                                 spec->lower[i], i > 0 ? ":" : "");
      if (used >= sizeof data)
        break;
    }
  if (used < sizeof data)
    used += (size_t) snprintf (data + used, sizeof data - used, ",upperdir=%s/upper,workdir=%s/work", state_dir,
                               state_dir);
  if (used >= sizeof data)
    return mg_fail (e, E2BIG, "mount overlay: the options for %zu lower dirs exceed %zu bytes", spec->n_lower,
                    sizeof data - 1);

  char target[4096];
  snprintf (target, sizeof target, "%s/rootfs", state_dir);
  if (mount ("overlay", target, "overlay", 0, data) < 0)
    return mg_fail_errno (e, "mount overlay (%s) on %s", data, target);
  return 0;
}

/* MS_* flags that a remount must repeat, or it would clear them. */
static unsigned long
kept_flags (const char *path)
{
  struct statvfs st;
  unsigned long flags = 0;
  if (statvfs (path, &st) < 0)
    return 0;
  if (st.f_flag & ST_NOSUID)
    flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV)
    flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC)
    flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME)
    flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME)
    flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME)
    flags |= MS_RELATIME;
  return flags;
}

/* Remounts the mount now at `path` (under the root) read-only; `what` names it in errors. */
static int
remount_ro (int rootfd, const char *path, unsigned long extra, const char *what, struct mg_error *e)
{
  cleanup_close int fd = mg_open_in_root (rootfd, path, O_PATH);
  if (fd < 0)
    return mg_fail_errno (e, "%s: open %s", what, path);
  char p[32];
  mg_fd_path (fd, p);
  if (mount (NULL, p, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | extra | kept_flags (p), NULL) < 0)
    return mg_fail_errno (e, "%s: remount read-only", what);
  return 0;
}

static int
mount_proc (int rootfd, struct mg_error *e)
{
  cleanup_close int fd = mg_mkdir_in_root (rootfd, "/proc", 0555, e);
  if (fd < 0)
    return -1;
  char p[32];
  if (mount ("proc", mg_fd_path (fd, p), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    return mg_fail_errno (e, "mount proc on /proc");
  return 0;
}

static int
make_device (int devfd, const char *name, unsigned major, unsigned minor, int rootfd, struct mg_error *e)
{
  if (mknodat (devfd, name, S_IFCHR | 0666, makedev (major, minor)) == 0)
    {
      if (fchmodat (devfd, name, 0666, 0) < 0)
        return mg_fail_errno (e, "chmod /dev/%s", name);
      return 0;
    }
  if (errno != EPERM)
    return mg_fail_errno (e, "mknod /dev/%s", name);
  /* Not allowed to make device nodes (a user namespace): bind the host's instead. */
  char path[64], host[64], p[32];
  snprintf (path, sizeof path, "/dev/%s", name);
  snprintf (host, sizeof host, "/dev/%s", name);
  cleanup_close int fd = mg_mkfile_in_root (rootfd, path, e);
  if (fd < 0)
    return -1;
  if (mount (host, mg_fd_path (fd, p), NULL, MS_BIND, NULL) < 0)
    return mg_fail_errno (e, "mount %s → %s", host, path);
  return 0;
}

static int
mount_at (int dirfd, const char *name, mode_t mode, const char *fstype, unsigned long flags, const char *data,
          struct mg_error *e)
{
  if (mkdirat (dirfd, name, mode) < 0 && errno != EEXIST)
    return mg_fail_errno (e, "mkdir /dev/%s", name);
  cleanup_close int fd = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return mg_fail_errno (e, "open /dev/%s", name);
  char p[32];
  if (mount (fstype, mg_fd_path (fd, p), fstype, flags, data) < 0)
    return mg_fail_errno (e, "mount %s on /dev/%s", fstype, name);
  return 0;
}

static int
mount_dev (int rootfd, struct mg_error *e)
{
  char p[32];
  {
    cleanup_close int fd = mg_mkdir_in_root (rootfd, "/dev", 0755, e);
    if (fd < 0)
      return -1;
    if (mount ("tmpfs", mg_fd_path (fd, p), "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k") < 0)
      return mg_fail_errno (e, "mount tmpfs on /dev");
  }
  /* Open /dev again: the fd above still names the directory under the new tmpfs. */
  cleanup_close int devfd = mg_open_in_root (rootfd, "/dev", O_PATH | O_DIRECTORY);
  if (devfd < 0)
    return mg_fail_errno (e, "open /dev");

  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++)
    if (make_device (devfd, devices[i].name, devices[i].major, devices[i].minor, rootfd, e) < 0)
      return -1;

  if (mount_at (devfd, "pts", 0755, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", e)
          < 0
      || mount_at (devfd, "shm", 01777, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k", e) < 0
      || mount_at (devfd, "mqueue", 0755, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, e) < 0)
    return -1;

  static const char *const links[][2] = {
    { "pts/ptmx", "ptmx" },           { "/proc/self/fd", "fd" },       { "/proc/self/fd/0", "stdin" },
    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (symlinkat (links[i][0], devfd, links[i][1]) < 0)
      return mg_fail_errno (e, "symlink /dev/%s → %s", links[i][1], links[i][0]);
  return 0;
}

static int
mount_sys (int rootfd, struct mg_error *e)
{
  cleanup_close int fd = mg_mkdir_in_root (rootfd, "/sys", 0555, e);
  if (fd < 0)
    return -1;
  char p[32];
  mg_fd_path (fd, p);
  if (mount ("sysfs", p, "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
    return 0;
  if (errno != EPERM)
    return mg_fail_errno (e, "mount sysfs on /sys");
  /* sysfs may not be mounted from a network namespace we do not own: show the host's, read-only. */
  if (mount ("/sys", p, NULL, MS_BIND | MS_REC, NULL) < 0)
    return mg_fail_errno (e, "mount /sys → /sys");
  return remount_ro (rootfd, "/sys", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mount /sys → /sys", e);
}

static int
mount_binds (const struct mg_spec *spec, int rootfd, struct mg_error *e)
{
  for (size_t i = 0; i < spec->n_binds; i++)
    {
      const struct mg_bind *b = &spec->binds[i];
      struct stat st;
      if (stat (b->source, &st) < 0)
        return mg_fail_errno (e, "mount %s → %s", b->source, b->target);
      cleanup_close int fd = S_ISDIR (st.st_mode) ? mg_mkdir_in_root (rootfd, b->target, 0755, e)
                                                  : mg_mkfile_in_root (rootfd, b->target, e);
      if (fd < 0)
        {
          /* Say which mount the failure belongs to. */
          char inner[sizeof e->msg];
          snprintf (inner, sizeof inner, "%s", e->msg);
          return mg_fail (e, e->err, "mount %s → %s: %s", b->source, b->target, inner);
        }
      char p[32];
      if (mount (b->source, mg_fd_path (fd, p), NULL, MS_BIND | MS_REC, NULL) < 0)
        return mg_fail_errno (e, "mount %s → %s", b->source, b->target);
      if (b->read_only)
        {
          char what[sizeof e->msg];
          snprintf (what, sizeof what, "mount %s → %s", b->source, b->target);
          if (remount_ro (rootfd, b->target, 0, what, e) < 0)
            return -1;
        }
    }
  return 0;
}

static int
mount_tmpfs (const struct mg_spec *spec, int rootfd, struct mg_error *e)
{
  for (size_t i = 0; i < spec->n_tmpfs; i++)
    {
      const struct mg_tmpfs *t = &spec->tmpfs[i];
      cleanup_close int fd = mg_mkdir_in_root (rootfd, t->target, 0755, e);
      if (fd < 0)
        return -1;
      char p[32];
      if (mount ("tmpfs", mg_fd_path (fd, p), "tmpfs", MS_NOSUID | MS_NODEV, t->options[0] ? t->options : NULL) < 0)
        return mg_fail_errno (e, "mount tmpfs on %s (%s)", t->target, t->options);
    }
  return 0;
}

static int
mask_paths (int rootfd, struct mg_error *e)
{
  for (size_t i = 0; i < sizeof masked_paths / sizeof masked_paths[0]; i++)
    {
      const char *path = masked_paths[i];
      cleanup_close int fd = mg_open_in_root (rootfd, path, O_PATH);
      if (fd < 0 && errno == ENOENT)
        continue;
      if (fd < 0)
        return mg_fail_errno (e, "mask %s", path);
      struct stat st;
      if (fstat (fd, &st) < 0)
        return mg_fail_errno (e, "mask %s", path);
      char p[32];
      mg_fd_path (fd, p);
      int ret = S_ISDIR (st.st_mode) ? mount ("tmpfs", p, "tmpfs", MS_RDONLY, "size=0")
                                     : mount ("/dev/null", p, NULL, MS_BIND, NULL);
      if (ret < 0)
        return mg_fail_errno (e, "mask %s", path);
    }
  return 0;
}

static int
readonly_paths_ (int rootfd, struct mg_error *e)
{
  for (size_t i = 0; i < sizeof readonly_paths / sizeof readonly_paths[0]; i++)
    {
      const char *path = readonly_paths[i];
      char what[128];
      snprintf (what, sizeof what, "make %s read-only", path);
      {
        cleanup_close int fd = mg_open_in_root (rootfd, path, O_PATH);
        if (fd < 0 && errno == ENOENT)
          continue;
        if (fd < 0)
          return mg_fail_errno (e, "%s", what);
        char p[32];
        mg_fd_path (fd, p);
        if (mount (p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
          return mg_fail_errno (e, "%s", what);
      }
      if (remount_ro (rootfd, path, MS_NOSUID | MS_NODEV | MS_NOEXEC, what, e) < 0)
        return -1;
    }
  return 0;
}

static int
pivot (int rootfd, struct mg_error *e)
{
  /* pivot_root(".", ".") stacks the old root on the new one; detaching "." then removes it (runc's way,
   * which needs no directory inside the image to park the old root in). */
  if (fchdir (rootfd) < 0)
    return mg_fail_errno (e, "chdir to the rootfs");
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return mg_fail_errno (e, "pivot_root");
  if (umount2 (".", MNT_DETACH) < 0)
    return mg_fail_errno (e, "unmount the old root");
  if (chdir ("/") < 0)
    return mg_fail_errno (e, "chdir /");
  return 0;
}

int
mg_setup_rootfs (const struct mg_spec *spec, const char *state_dir, struct mg_error *e)
{
  if (make_private (e) < 0 || mount_overlay (spec, state_dir, e) < 0)
    return -1;

  char rootfs[4096];
  snprintf (rootfs, sizeof rootfs, "%s/rootfs", state_dir);
  cleanup_close int rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return mg_fail_errno (e, "open %s", rootfs);

  /* The system mounts come before the spec's, so that a bind under /dev (a GPU node) is not hidden. */
  if (mount_proc (rootfd, e) < 0 || mount_dev (rootfd, e) < 0 || mount_sys (rootfd, e) < 0
      || mount_binds (spec, rootfd, e) < 0 || mount_tmpfs (spec, rootfd, e) < 0 || mask_paths (rootfd, e) < 0
      || readonly_paths_ (rootfd, e) < 0 || pivot (rootfd, e) < 0)
    return -1;

  if (spec->read_only_root && mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    return mg_fail_errno (e, "remount / read-only");
  return 0;
}
