#include "user.h"

#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "util.h"

/* A decimal id, or -1 when the string is not one. */
static long
parse_id (const char *s)
{
  if (*s == '\0')
    return -1;
  char *end;
  long v = strtol (s, &end, 10);
  return *end == '\0' && v >= 0 && v <= 0x7fffffff ? v : -1;
}

/* Splits an /etc/passwd or /etc/group line into at most n fields at ':'. */
static int
fields (char *line, char **f, int n)
{
  int i = 0;
  f[i++] = line;
  for (char *p = line; *p && i < n; p++)
    if (*p == ':')
      {
        *p = '\0';
        f[i++] = p + 1;
      }
  return i;
}

static int
lookup_passwd (const char *name, long uid, struct mg_user *user, char *user_name, size_t name_len)
{
  cleanup_file FILE *f = fopen ("/etc/passwd", "re");
  if (f == NULL)
    return 0;
  char line[1024];
  while (fgets (line, sizeof line, f))
    {
      line[strcspn (line, "\n")] = '\0';
      char *f7[7];
      if (fields (line, f7, 7) < 7)
        continue;
      if ((name && strcmp (f7[0], name) == 0) || (!name && parse_id (f7[2]) == uid))
        {
          user->uid = (uid_t) parse_id (f7[2]);
          user->gid = (gid_t) parse_id (f7[3]);
          snprintf (user->home, sizeof user->home, "%s", f7[5]);
          snprintf (user_name, name_len, "%s", f7[0]);
          return 1;
        }
    }
  return 0;
}

/* Fills in a group by name (returns its gid) and, with user_name, the supplementary groups. */
static long
scan_groups (const char *group_name, const char *user_name, struct mg_user *user)
{
  cleanup_file FILE *f = fopen ("/etc/group", "re");
  if (f == NULL)
    return -1;
  long found = -1;
  char line[4096];
  while (fgets (line, sizeof line, f))
    {
      line[strcspn (line, "\n")] = '\0';
      char *f4[4];
      if (fields (line, f4, 4) < 4)
        continue;
      long gid = parse_id (f4[2]);
      if (gid < 0)
        continue;
      if (group_name && strcmp (f4[0], group_name) == 0)
        found = gid;
      if (user_name && *user_name)
        for (char *save, *member = strtok_r (f4[3], ",", &save); member; member = strtok_r (NULL, ",", &save))
          if (strcmp (member, user_name) == 0 && user->n_groups < MG_MAX_GROUPS)
            user->groups[user->n_groups++] = (gid_t) gid;
    }
  return found;
}

int
mg_user_resolve (const char *spec, struct mg_user *user, struct mg_error *e)
{
  memset (user, 0, sizeof *user);
  snprintf (user->home, sizeof user->home, "/");
  char buf[512];
  snprintf (buf, sizeof buf, "%s", *spec ? spec : "0");
  char *group = strchr (buf, ':');
  if (group)
    *group++ = '\0';

  char user_name[256] = "";
  long uid = parse_id (buf);
  if (!lookup_passwd (uid < 0 ? buf : NULL, uid, user, user_name, sizeof user_name))
    {
      if (uid < 0)
        return mg_fail (e, 0, "user %s: no such user in the container's /etc/passwd", buf);
      /* A numeric user without an entry: group root, home / (Docker's behaviour). */
      user->uid = (uid_t) uid;
      user->gid = 0;
    }

  long gid = group ? parse_id (group) : -1;
  long named = scan_groups (group && gid < 0 ? group : NULL, user_name, user);
  if (group && gid < 0)
    {
      if (named < 0)
        return mg_fail (e, 0, "group %s: no such group in the container's /etc/group", group);
      gid = named;
    }
  if (group)
    user->gid = (gid_t) gid;
  return 0;
}

int
mg_user_apply (const struct mg_user *user, struct mg_error *e)
{
  if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
    return mg_fail_errno (e, "keep capabilities across the user change");
  /* The primary group is in the list too, as initgroups(3) and Docker have it. */
  gid_t groups[MG_MAX_GROUPS + 1] = { user->gid };
  size_t n = 1;
  for (int i = 0; i < user->n_groups; i++)
    if (user->groups[i] != user->gid)
      groups[n++] = user->groups[i];
  if (setgroups (n, groups) < 0)
    return mg_fail_errno (e, "setgroups for user %u", user->uid);
  if (setresgid (user->gid, user->gid, user->gid) < 0)
    return mg_fail_errno (e, "setgid %u", user->gid);
  if (setresuid (user->uid, user->uid, user->uid) < 0)
    return mg_fail_errno (e, "setuid %u", user->uid);
  if (prctl (PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
    return mg_fail_errno (e, "reset keep capabilities");
  return 0;
}
