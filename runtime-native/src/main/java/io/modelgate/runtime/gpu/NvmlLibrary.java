package io.modelgate.runtime.gpu;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/**
 * Raw NVML (libnvidia-ml.so.1) through JNA, under the C names of NVIDIA's nvml.h so that its reference applies.
 * Every function returns an {@code nvmlReturn_t} (0 is NVML_SUCCESS). Structures are passed as arrays of their
 * fields, which JNA copies in and out: {@code nvmlUtilization_t} is {@code {unsigned int gpu, memory}} and
 * {@code nvmlMemory_t} is {@code {unsigned long long total, free, used}}. Use through {@link Nvml}.
 */
interface NvmlLibrary extends Library {
    int NVML_SUCCESS = 0;
    int NVML_ERROR_NOT_SUPPORTED = 3;
    /** NVML_DEVICE_UUID_V2_BUFFER_SIZE. */
    int UUID_BUFFER_SIZE = 96;
    /** NVML_DEVICE_NAME_V2_BUFFER_SIZE. */
    int NAME_BUFFER_SIZE = 96;

    int nvmlInit_v2();

    int nvmlShutdown();

    String nvmlErrorString(int result);

    int nvmlDeviceGetCount_v2(IntByReference deviceCount);

    int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

    int nvmlDeviceGetHandleByUUID(String uuid, PointerByReference device);

    /** The N of /dev/nvidiaN, which modelgate's GPU indices are; NVML's own index order may differ from it. */
    int nvmlDeviceGetMinorNumber(Pointer device, IntByReference minorNumber);

    int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length);

    int nvmlDeviceGetName(Pointer device, byte[] name, int length);

    /** {@code utilization} is nvmlUtilization_t: [0] gpu, [1] memory, percent of the last sample period. */
    int nvmlDeviceGetUtilizationRates(Pointer device, int[] utilization);

    /** {@code memory} is nvmlMemory_t: [0] total, [1] free, [2] used, in bytes. */
    int nvmlDeviceGetMemoryInfo(Pointer device, long[] memory);
}
