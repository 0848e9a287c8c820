#include "caps.h"

#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int
mg_caps_drop_bounding (struct mg_error *e)
{
  for (int cap = 0; cap < 64; cap++)
    {
      if (prctl (PR_CAPBSET_READ, cap, 0, 0, 0) < 0)
        {
          if (errno == EINVAL)
            break; /* past the kernel's last capability */
          return mg_fail_errno (e, "read capability %d from the bounding set", cap);
        }
      if ((MG_DEFAULT_CAPS & (UINT64_C (1) << cap)) == 0 && prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
        return mg_fail_errno (e, "drop capability %d from the bounding set", cap);
    }
  return 0;
}

int
mg_caps_apply (struct mg_error *e)
{
  struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
  struct __user_cap_data_struct data[2] = { 0 };
  for (int i = 0; i < 2; i++)
    {
      data[i].effective = (uint32_t) (MG_DEFAULT_CAPS >> (32 * i));
      data[i].permitted = data[i].effective;
      /* Inheritable stays empty: with it set, a file with inheritable capabilities could regain them
       * (CVE-2022-24769); Docker stopped setting it for that reason. */
      data[i].inheritable = 0;
    }
  if (syscall (SYS_capset, &header, data) < 0)
    return mg_fail_errno (e, "set capabilities (capset)");
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return mg_fail_errno (e, "clear ambient capabilities");
  return 0;
}

int
mg_no_new_privs (struct mg_error *e)
{
  if (prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return mg_fail_errno (e, "set no_new_privs");
  return 0;
}
