package io.modelgate.runtime.gpu;

import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/** A machine without NVIDIA GPUs: grants nothing and refuses any request for one, saying where it looked. */
final class NoGpus implements Gpus {
    private final GpuAllocator allocator;
    private final String lookedAt;
    private final List<String> warnings;

    NoGpus(GpuAllocator allocator, String lookedAt, List<String> warnings) {
        this.allocator = allocator;
        this.lookedAt = lookedAt;
        this.warnings = List.copyOf(warnings);
    }

    @Override
    public List<Gpu> gpus() {
        return List.of();
    }

    @Override
    public GpuGrant grant(String containerId, GpuRequest request) {
        if (request instanceof GpuRequest.Count c && c.count() == 0) {
            return GpuGrant.none(containerId);
        }
        throw new GpuUnavailableException("container '" + containerId + "' needs " + request.describe()
                + ", but no NVIDIA GPU found on this machine (" + lookedAt + ")");
    }

    @Override
    public List<Integer> release(String containerId) {
        return allocator.release(containerId);
    }

    /** Assignments left from when the machine had GPUs are cleaned up like any others. */
    @Override
    public List<String> releaseAllExcept(Set<String> live) {
        return allocator.releaseAllExcept(live);
    }

    @Override
    public SortedMap<Integer, String> assignments() {
        return new TreeMap<>();
    }

    @Override
    public String describe() {
        StringBuilder s = new StringBuilder("no NVIDIA GPU found on this machine (" + lookedAt + ")\n");
        warnings.forEach(w -> s.append("warning: ").append(w).append('\n'));
        return s.toString();
    }
}
