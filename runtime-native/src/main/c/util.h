/* Small helpers shared by mg-monitor and mg-exec: cleanup attributes, whole-file I/O, /proc facts. */
#ifndef MG_UTIL_H
#define MG_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "error.h"

void mg_freep (void *p);
void mg_closep (int *fd);
void mg_fclosep (FILE **f);

#define cleanup_free __attribute__ ((cleanup (mg_freep)))
#define cleanup_close __attribute__ ((cleanup (mg_closep)))
#define cleanup_file __attribute__ ((cleanup (mg_fclosep)))

/* Hands ownership out of a cleanup variable: returns its value and disarms it. */
#define steal_fd(fd) ({ int _fd = (fd); (fd) = -1; _fd; })
#define steal_ptr(p) ({ __typeof__ (p) _p = (p); (p) = NULL; _p; })

/* write(2) until everything is written or an error other than EINTR; returns 0 or -1 with errno. */
int mg_write_all (int fd, const void *buf, size_t len);

/* Reads a whole file (NUL-terminated, length in *len when len is not NULL). */
int mg_read_file (const char *path, char **out, size_t *len, struct mg_error *e);

/* Writes path through a temporary file, fsync and rename, so readers see all of it or nothing. */
int mg_write_file_atomic (const char *path, const char *content, struct mg_error *e);

/* Field 22 of /proc/<pid>/stat (start time in clock ticks): with the pid it names one process for good. */
int mg_proc_starttime (pid_t pid, unsigned long long *out, struct mg_error *e);

/* Writes "<pid> <starttime>\n" to path atomically. */
int mg_write_pid_file (const char *path, pid_t pid, struct mg_error *e);

/* Closes every fd from `from` up, except `keep` (-1 for none): close_range, else /proc/self/fd. */
int mg_close_fds_from (int from, int keep);

/* The current time as RFC 3339 with nanoseconds in UTC: "2025-01-02T03:04:05.123456789Z". */
void mg_now_rfc3339 (char *buf, size_t len);

#endif
