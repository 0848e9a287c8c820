/* The container's output as a size-bounded log in the CRI format (what kubelet and conmon write):
 *   <RFC 3339 nano time> <stdout|stderr> <F|P> <text>
 * F ends a line (a newline followed it), P is part of a line continued by the next entry of the stream.
 * When a file would grow past its limit it becomes <path>.1 (replacing the older one) and a new one starts,
 * so the log never takes more than twice the limit. */
#ifndef MG_LOGS_H
#define MG_LOGS_H

#include <stddef.h>

#include "error.h"

struct mg_log
{
  int fd;
  long long size, max;
  char path[4096];
};

int mg_log_open (struct mg_log *log, const char *path, long long max, struct mg_error *e);

/* Writes what one read(2) of a stream returned. Errors (a full disk) are not the container's problem:
 * the output is dropped, and the monitor carries on. */
void mg_log_write (struct mg_log *log, const char *stream, const char *buf, size_t len);

void mg_log_close (struct mg_log *log);

#endif
