package io.modelgate.runtime.gpu;

import java.util.List;
import java.util.Set;
import java.util.SortedMap;

/**
 * The machine's NVIDIA GPUs and who holds them: chosen once at start-up by {@link #detect(GpuConfig)}, either
 * {@code NvidiaGpus} (from a CDI spec of kind nvidia.com/gpu where there is one, otherwise from /dev/nvidiaN and
 * the ld cache) or {@code NoGpus}. GPUs are given to containers exclusively; assignments are kept in files, so
 * they hold across threads and across processes sharing the state directory.
 */
public sealed interface Gpus permits NvidiaGpus, NoGpus {

    /** Looks at the machine once: CDI specs first, then device discovery; no GPU gives a backend that refuses requests. */
    static Gpus detect(GpuConfig config) {
        return GpuDetection.detect(config, DeviceStat.host());
    }

    /** The GPUs, by host index; empty for {@code NoGpus}. */
    List<Gpu> gpus();

    /**
     * Gives {@code containerId} the GPUs it asks for, exclusively, and everything it needs to use them.
     *
     * @throws GpuUnavailableException too few free GPUs, a named one in use or unknown, no GPU at all, or the
     *                                 container already holds GPUs
     */
    GpuGrant grant(String containerId, GpuRequest request);

    /** Frees the GPUs {@code containerId} holds; their indices (none when it held nothing). */
    List<Integer> release(String containerId);

    /**
     * Frees every GPU held by a container not in {@code live}, after a crash; the containers whose GPUs were freed.
     * {@code live} must name every running container of every process sharing the state directory.
     */
    List<String> releaseAllExcept(Set<String> live);

    /** GPU index → the container holding it. */
    SortedMap<Integer, String> assignments();

    /** A report for people: where the GPUs were found, what a container gets, what is missing. */
    String describe();
}
