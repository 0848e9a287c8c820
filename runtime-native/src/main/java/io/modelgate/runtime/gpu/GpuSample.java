package io.modelgate.runtime.gpu;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * One GPU's utilisation and memory as NVML reported them at one moment.
 *
 * @param index              the N of /dev/nvidiaN (NVML's minor number): the index {@link Gpus} assigns by
 * @param uuid               the GPU's UUID ({@code GPU-…})
 * @param name               the product name, e.g. {@code NVIDIA H100 80GB HBM3}
 * @param utilizationPercent how much of the last sample period a kernel ran on the GPU; empty where the GPU does not
 *                           report it (e.g. a MIG-partitioned GPU)
 * @param memoryUsedBytes    device memory allocated now
 * @param memoryTotalBytes   device memory installed
 */
public record GpuSample(int index, String uuid, Optional<String> name, OptionalInt utilizationPercent,
                        long memoryUsedBytes, long memoryTotalBytes) {

    public GpuSample {
        if (index < 0 || memoryUsedBytes < 0 || memoryTotalBytes < 0) {
            throw new IllegalArgumentException("GPU sample with a negative index or memory: " + index + ", "
                    + memoryUsedBytes + ", " + memoryTotalBytes);
        }
        if (uuid.isBlank()) {
            throw new IllegalArgumentException("GPU " + index + " has no UUID");
        }
    }
}
