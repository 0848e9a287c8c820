package io.modelgate.runtime.gpu;

import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What one container was given: the GPUs (held exclusively until released), the device nodes to bind or make in
 * its /dev, read-only bind mounts of the driver's files, environment variables, and CDI hooks that were asked for
 * but are not run (modelgate runs no OCI hooks; the grant says which were skipped so a caller can warn).
 */
public record GpuGrant(String containerId, List<Gpu> gpus, List<DeviceNode> devices, List<GpuMount> mounts,
                       Map<String, String> env, List<CdiHook> hooksNotRun) {

    public GpuGrant {
        if (containerId.isBlank()) {
            throw new IllegalArgumentException("a GPU grant needs a container id");
        }
        gpus = List.copyOf(gpus);
        devices = List.copyOf(devices);
        mounts = List.copyOf(mounts);
        env = Collections.unmodifiableMap(new TreeMap<>(env));
        hooksNotRun = List.copyOf(hooksNotRun);
        Set<String> targets = new HashSet<>();
        for (DeviceNode d : devices) {
            if (!targets.add(d.path())) {
                throw new IllegalArgumentException("GPU grant for " + containerId + " has " + d.path() + " twice");
            }
        }
        for (GpuMount m : mounts) {
            if (!targets.add(m.target())) {
                throw new IllegalArgumentException("GPU grant for " + containerId + " has " + m.target() + " twice");
            }
        }
    }

    /** Nothing: a container that asked for no GPU. */
    public static GpuGrant none(String containerId) {
        return new GpuGrant(containerId, List.of(), List.of(), List.of(), Map.of(), List.of());
    }

    public boolean isEmpty() {
        return gpus.isEmpty();
    }

    /** One cgroup v1 {@code devices.allow} line per device node: {@code c 195:0 rwm}. */
    public List<String> deviceCgroupRules() {
        return devices.stream().map(DeviceNode::cgroupRule).distinct().toList();
    }
}
