#include "spec.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#define HEADER "modelgate-spec"
#define VERSION "1"

static int
push (void *array_p, size_t *n, size_t elem, const void *value)
{
  char **array = array_p;
  char *bigger = realloc (*array, (*n + 2) * elem);
  if (bigger == NULL)
    return -1;
  memcpy (bigger + *n * elem, value, elem);
  memset (bigger + (*n + 1) * elem, 0, elem); /* keeps string lists NULL-terminated */
  *array = bigger;
  (*n)++;
  return 0;
}

static int
parse_net (const char *value, enum mg_net *net)
{
  if (strcmp (value, "none") == 0)
    *net = MG_NET_NONE;
  else if (strcmp (value, "bridge") == 0)
    *net = MG_NET_BRIDGE;
  else if (strcmp (value, "host") == 0)
    *net = MG_NET_HOST;
  else
    return -1;
  return 0;
}

int
mg_spec_read (const char *path, struct mg_spec *spec, struct mg_error *e)
{
  memset (spec, 0, sizeof *spec);
  spec->cwd = "/";
  spec->user = "";
  spec->hostname = "";
  spec->log_max = 10 * 1024 * 1024;
  spec->net = MG_NET_NONE;

  size_t len;
  if (mg_read_file (path, &spec->data, &len, e) < 0)
    return -1;

  /* Split into fields; the file must end with a NUL so that the last field is complete. */
  if (len == 0 || spec->data[len - 1] != '\0')
    return mg_fail (e, EINVAL, "spec %s: truncated", path);
  const char *end = spec->data + len, *p = spec->data;
#define NEXT() ({ const char *_f = p; if (p >= end) return mg_fail (e, EINVAL, "spec %s: truncated", path); p += strlen (p) + 1; _f; })

  if (strcmp (NEXT (), HEADER) != 0)
    return mg_fail (e, EINVAL, "spec %s: not a modelgate spec", path);
  const char *version = NEXT ();
  if (strcmp (version, VERSION) != 0)
    return mg_fail (e, EINVAL, "spec %s: version %s, this mg-monitor reads version " VERSION, path, version);

  int nomem = 0;
  while (p < end)
    {
      const char *key = NEXT ();
      if (strcmp (key, "id") == 0)
        spec->id = NEXT ();
      else if (strcmp (key, "hostname") == 0)
        spec->hostname = NEXT ();
      else if (strcmp (key, "cwd") == 0)
        spec->cwd = NEXT ();
      else if (strcmp (key, "user") == 0)
        spec->user = NEXT ();
      else if (strcmp (key, "readonly") == 0)
        spec->read_only_root = strcmp (NEXT (), "1") == 0;
      else if (strcmp (key, "log.max") == 0)
        spec->log_max = atoll (NEXT ());
      else if (strcmp (key, "net") == 0)
        {
          const char *value = NEXT ();
          if (parse_net (value, &spec->net) < 0)
            return mg_fail (e, EINVAL, "spec %s: network mode %s", path, value);
        }
      else if (strcmp (key, "lower") == 0)
        {
          const char *v = NEXT ();
          nomem |= push (&spec->lower, &spec->n_lower, sizeof v, &v);
        }
      else if (strcmp (key, "arg") == 0)
        {
          const char *v = NEXT ();
          nomem |= push (&spec->argv, &spec->argc, sizeof v, &v);
        }
      else if (strcmp (key, "env") == 0)
        {
          const char *v = NEXT ();
          nomem |= push (&spec->env, &spec->n_env, sizeof v, &v);
        }
      else if (strcmp (key, "cgroup") == 0)
        {
          const char *v = NEXT ();
          nomem |= push (&spec->cgroups, &spec->n_cgroups, sizeof v, &v);
        }
      else if (strcmp (key, "bind") == 0)
        {
          struct mg_bind b = { .source = NEXT (), .target = NEXT () };
          b.read_only = strcmp (NEXT (), "ro") == 0;
          nomem |= push (&spec->binds, &spec->n_binds, sizeof b, &b);
        }
      else if (strcmp (key, "tmpfs") == 0)
        {
          struct mg_tmpfs t = { .target = NEXT (), .options = NEXT () };
          nomem |= push (&spec->tmpfs, &spec->n_tmpfs, sizeof t, &t);
        }
      else
        return mg_fail (e, EINVAL, "spec %s: unknown key %s", path, key);
      if (nomem)
        return mg_fail (e, ENOMEM, "spec %s", path);
    }
#undef NEXT

  if (spec->id == NULL || spec->argc == 0 || spec->n_lower == 0)
    return mg_fail (e, EINVAL, "spec %s: id, arg and lower are required", path);
  if (spec->env == NULL)
    {
      const char *none = NULL;
      if (push (&spec->env, &spec->n_env, sizeof none, &none) < 0)
        return mg_fail (e, ENOMEM, "spec %s", path);
      spec->n_env = 0;
    }
  return 0;
}

void
mg_spec_free (struct mg_spec *spec)
{
  free (spec->lower);
  free (spec->argv);
  free (spec->env);
  free (spec->binds);
  free (spec->tmpfs);
  free (spec->cgroups);
  free (spec->data);
  memset (spec, 0, sizeof *spec);
}
