/* Errors the crun way: a function returns < 0 and fills a struct mg_error naming what failed. */
#ifndef MG_ERROR_H
#define MG_ERROR_H

#include <errno.h>
#include <stddef.h>

struct mg_error
{
  int err;        /* errno of the failure, 0 when none applies */
  char msg[1024]; /* the operation and its subject, e.g. "mount /data → /data" */
};

/* Records errno (as it is now) and a formatted message; always returns -1. */
int mg_fail_errno (struct mg_error *e, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

/* Records an explicit errno value (0 for none) and a formatted message; always returns -1. */
int mg_fail (struct mg_error *e, int err, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

/* "msg: strerror(err)", or just msg when err is 0. */
const char *mg_error_text (const struct mg_error *e, char *buf, size_t len);

#endif
