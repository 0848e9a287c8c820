/* Paths inside the container's root, resolved by the kernel (openat2 RESOLVE_IN_ROOT) so that a symlink
 * in the image such as /data -> /etc can never send a mount onto the host. Before pivot_root every mount
 * target goes through these and is then named as /proc/self/fd/N. */
#ifndef MG_PATHS_H
#define MG_PATHS_H

#include <sys/types.h>

#include "error.h"

/* openat2(rootfd, path, flags | O_CLOEXEC, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS); -1 with errno. */
int mg_open_in_root (int rootfd, const char *path, int flags);

/* An O_PATH fd for directory `path` under the root, creating it and its parents (mkdir -p). */
int mg_mkdir_in_root (int rootfd, const char *path, mode_t mode, struct mg_error *e);

/* An O_PATH fd for file `path` under the root, creating an empty file (and parents) when missing. */
int mg_mkfile_in_root (int rootfd, const char *path, struct mg_error *e);

/* "/proc/self/fd/<fd>", the name under which mount(2) reaches what fd refers to. */
const char *mg_fd_path (int fd, char buf[static 32]);

#endif
