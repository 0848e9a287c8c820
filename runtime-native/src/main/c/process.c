#include "process.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caps.h"
#include "user.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *
env_get (const char *const *env, const char *key)
{
  size_t n = strlen (key);
  for (; *env; env++)
    if (strncmp (*env, key, n) == 0 && (*env)[n] == '=')
      return *env + n + 1;
  return NULL;
}

/* The spec's environment plus what Docker adds when it is missing: PATH, HOSTNAME, HOME. */
static char **
build_env (const struct mg_process *p, const struct mg_user *user)
{
  size_t n = 0;
  while (p->env[n])
    n++;
  char **env = calloc (n + 4, sizeof *env);
  if (env == NULL)
    return NULL;
  size_t i = 0;
  for (; i < n; i++)
    env[i] = (char *) p->env[i];
  if (!env_get (p->env, "PATH"))
    env[i++] = "PATH=" DEFAULT_PATH;
  if (!env_get (p->env, "HOSTNAME") && p->hostname && *p->hostname && asprintf (&env[i], "HOSTNAME=%s", p->hostname) > 0)
    i++;
  if (!env_get (p->env, "HOME") && asprintf (&env[i], "HOME=%s", user->home) > 0)
    i++;
  env[i] = NULL;
  return env;
}

/* execvp's lookup, but in the container's PATH rather than ours. */
static int
find_program (const char *name, const char *path, char *out, size_t len, struct mg_error *e)
{
  if (strchr (name, '/'))
    {
      snprintf (out, len, "%s", name);
      return 0;
    }
  int denied = 0;
  const char *dir = path;
  while (dir)
    {
      const char *colon = strchr (dir, ':');
      int dlen = colon ? (int) (colon - dir) : (int) strlen (dir);
      snprintf (out, len, "%.*s/%s", dlen, dlen ? dir : ".", name);
      struct stat st;
      if (stat (out, &st) == 0 && S_ISREG (st.st_mode))
        {
          if (access (out, X_OK) == 0)
            return 0;
          denied = 1;
        }
      dir = colon ? colon + 1 : NULL;
    }
  return mg_fail (e, denied ? EACCES : ENOENT, "exec %s: not found in PATH %s", name, path);
}

static void
reset_signals (void)
{
  /* The monitor blocks and ignores signals for itself; the container starts from the defaults. */
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
}

static void
mkdir_p (const char *path)
{
  char buf[4096];
  snprintf (buf, sizeof buf, "%s", path);
  for (char *p = buf + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        mkdir (buf, 0755);
        *p = '/';
      }
  mkdir (buf, 0755);
}

int
mg_process_exec (const struct mg_process *p, int keep_fd, struct mg_error *e)
{
  struct mg_user user;
  if (mg_user_resolve (p->user, &user, e) < 0)
    return -1;

  /* Docker creates a missing WorkingDir, as root; a failure here shows in chdir below. */
  mkdir_p (p->cwd);

  if (mg_caps_drop_bounding (e) < 0 || mg_user_apply (&user, e) < 0 || mg_caps_apply (e) < 0
      || mg_no_new_privs (e) < 0)
    return -1;

  if (chdir (p->cwd) < 0)
    return mg_fail_errno (e, "chdir %s", p->cwd);

  cleanup_free char **env = build_env (p, &user);
  if (env == NULL)
    return mg_fail_errno (e, "environment");
  char program[4096];
  if (find_program (p->argv[0], env_get ((const char *const *) env, "PATH"), program, sizeof program, e) < 0)
    return -1;

  reset_signals ();
  umask (022);
  if (mg_close_fds_from (3, keep_fd) < 0)
    return mg_fail_errno (e, "close inherited file descriptors");
  execve (program, (char *const *) p->argv, env);
  return mg_fail_errno (e, "exec %s", program);
}
