/*
 * A stand-in for the NVIDIA driver's libnvidia-ml.so.1, for tests on machines without a GPU: the NVML calls
 * modelgate makes, answering for two GPUs with fixed readings. GPU 0 (minor 0) is busy; GPU 1 has minor number 3
 * (NVML's index and /dev/nvidiaN differ) and, like a MIG-partitioned board, reports no utilisation.
 * Built with -DINIT_FAILS, nvmlInit_v2 fails as it does when the kernel module is not loaded; built with
 * -DLOST_WHEN='"path"', nvmlDeviceGetCount_v2 fails with GPU_IS_LOST while that file exists.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef int nvmlReturn_t;
typedef struct fake_gpu *nvmlDevice_t;
typedef struct { unsigned int gpu; unsigned int memory; } nvmlUtilization_t;
typedef struct { unsigned long long total; unsigned long long free; unsigned long long used; } nvmlMemory_t;

struct fake_gpu {
  unsigned int minor;
  const char *uuid;
  const char *name;
  int has_utilization;
  unsigned int utilization;
  unsigned long long total;
  unsigned long long used;
};

static struct fake_gpu gpus[] = {
  { 0, "GPU-0f1e2d3c-0000-4000-8000-000000000000", "NVIDIA H100 80GB HBM3", 1, 37, 85899345920ULL, 1073741824ULL },
  { 3, "GPU-0f1e2d3c-0003-4000-8000-000000000003", "NVIDIA H100 80GB HBM3", 0, 0, 85899345920ULL, 0ULL },
};
static int initialised;

#define NVML_SUCCESS 0
#define NVML_ERROR_UNINITIALIZED 1
#define NVML_ERROR_INVALID_ARGUMENT 2
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_ERROR_NOT_FOUND 6
#define NVML_ERROR_INSUFFICIENT_SIZE 7
#define NVML_ERROR_DRIVER_NOT_LOADED 9
#define NVML_ERROR_GPU_IS_LOST 15

nvmlReturn_t nvmlInit_v2 (void)
{
#ifdef INIT_FAILS
  return NVML_ERROR_DRIVER_NOT_LOADED;
#else
  initialised++;
  return NVML_SUCCESS;
#endif
}

nvmlReturn_t nvmlShutdown (void)
{
  if (!initialised)
    return NVML_ERROR_UNINITIALIZED;
  initialised--;
  return NVML_SUCCESS;
}

const char *nvmlErrorString (nvmlReturn_t result)
{
  switch (result)
    {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_NOT_FOUND: return "Not Found";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
    default: return "Unknown Error";
    }
}

nvmlReturn_t nvmlDeviceGetCount_v2 (unsigned int *count)
{
  if (!initialised)
    return NVML_ERROR_UNINITIALIZED;
#ifdef LOST_WHEN
  if (access (LOST_WHEN, F_OK) == 0)
    return NVML_ERROR_GPU_IS_LOST;
#endif
  *count = sizeof gpus / sizeof gpus[0];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2 (unsigned int index, nvmlDevice_t *device)
{
  if (!initialised)
    return NVML_ERROR_UNINITIALIZED;
  if (index >= sizeof gpus / sizeof gpus[0])
    return NVML_ERROR_INVALID_ARGUMENT;
  *device = &gpus[index];
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetHandleByUUID (const char *uuid, nvmlDevice_t *device)
{
  if (!initialised)
    return NVML_ERROR_UNINITIALIZED;
  for (unsigned int i = 0; i < sizeof gpus / sizeof gpus[0]; i++)
    if (strcmp (gpus[i].uuid, uuid) == 0)
      {
        *device = &gpus[i];
        return NVML_SUCCESS;
      }
  return NVML_ERROR_NOT_FOUND;
}

nvmlReturn_t nvmlDeviceGetMinorNumber (nvmlDevice_t device, unsigned int *minor)
{
  *minor = device->minor;
  return NVML_SUCCESS;
}

static nvmlReturn_t copy (const char *text, char *out, unsigned int length)
{
  if (strlen (text) + 1 > length)
    return NVML_ERROR_INSUFFICIENT_SIZE;
  strcpy (out, text);
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetUUID (nvmlDevice_t device, char *uuid, unsigned int length)
{
  return copy (device->uuid, uuid, length);
}

nvmlReturn_t nvmlDeviceGetName (nvmlDevice_t device, char *name, unsigned int length)
{
  return copy (device->name, name, length);
}

nvmlReturn_t nvmlDeviceGetUtilizationRates (nvmlDevice_t device, nvmlUtilization_t *utilization)
{
  if (!device->has_utilization)
    return NVML_ERROR_NOT_SUPPORTED;
  utilization->gpu = device->utilization;
  utilization->memory = device->utilization / 2;
  return NVML_SUCCESS;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo (nvmlDevice_t device, nvmlMemory_t *memory)
{
  memory->total = device->total;
  memory->used = device->used;
  memory->free = device->total - device->used;
  return NVML_SUCCESS;
}
