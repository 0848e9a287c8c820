package io.modelgate.runtime.gpu;

import java.nio.file.Path;
import java.util.SortedMap;

/**
 * Which container holds which GPU, as {@link Gpus} recorded it under a state directory, read without looking for
 * devices again: for a process (the gateway's metrics) that only needs to put a GPU's readings next to the replica
 * that holds it.
 */
public final class GpuHolders {
    private final GpuAllocator allocator;

    private GpuHolders(Path stateDir) {
        this.allocator = new GpuAllocator(stateDir);
    }

    /** The assignments kept under {@code stateDir} ({@link GpuConfig#stateDir}); none when it does not exist. */
    public static GpuHolders in(Path stateDir) {
        return new GpuHolders(stateDir);
    }

    /** GPU index (the N of /dev/nvidiaN) → the id of the container holding it, now. */
    public SortedMap<Integer, String> now() {
        return allocator.assignments();
    }
}
