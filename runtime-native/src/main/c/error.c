#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void
set (struct mg_error *e, int err, const char *fmt, va_list ap)
{
  e->err = err;
  vsnprintf (e->msg, sizeof e->msg, fmt, ap);
}

int
mg_fail_errno (struct mg_error *e, const char *fmt, ...)
{
  int err = errno;
  va_list ap;
  va_start (ap, fmt);
  set (e, err, fmt, ap);
  va_end (ap);
  return -1;
}

int
mg_fail (struct mg_error *e, int err, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  set (e, err, fmt, ap);
  va_end (ap);
  return -1;
}

const char *
mg_error_text (const struct mg_error *e, char *buf, size_t len)
{
  if (e->err)
    snprintf (buf, len, "%s: %s", e->msg, strerror (e->err));
  else
    snprintf (buf, len, "%s", e->msg);
  return buf;
}
