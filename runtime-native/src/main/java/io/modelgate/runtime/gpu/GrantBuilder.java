package io.modelgate.runtime.gpu;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * Collects one container's grant, first entry per container path winning. The environment starts as:
 * {@code NVIDIA_VISIBLE_DEVICES} = the host indices (what Docker sets: which physical GPUs the container has, as
 * the host's nvidia-smi and the allocator's messages number them); {@code CUDA_VISIBLE_DEVICES} = 0..n-1, because
 * CUDA numbers only the devices it can open and the container can open only its own, so host indices would name
 * devices CUDA does not have (GPU 2 alone is CUDA device 0).
 */
final class GrantBuilder {
    private final String containerId;
    private final List<Gpu> gpus;
    private final Map<String, DeviceNode> devices = new LinkedHashMap<>();
    private final Map<String, GpuMount> mounts = new LinkedHashMap<>();
    private final Map<String, String> env = new LinkedHashMap<>();
    private final List<CdiHook> hooks = new ArrayList<>();

    GrantBuilder(String containerId, List<Gpu> gpus) {
        this.containerId = containerId;
        this.gpus = List.copyOf(gpus);
        env.put("NVIDIA_VISIBLE_DEVICES", gpus.stream().map(g -> Integer.toString(g.index())).collect(Collectors.joining(",")));
        env.put("CUDA_VISIBLE_DEVICES", IntStream.range(0, gpus.size()).mapToObj(Integer::toString).collect(Collectors.joining(",")));
    }

    GrantBuilder device(DeviceNode d) {
        devices.putIfAbsent(d.path(), d);
        return this;
    }

    GrantBuilder mount(GpuMount m) {
        if (!devices.containsKey(m.target())) {
            mounts.putIfAbsent(m.target(), m);
        }
        return this;
    }

    GrantBuilder env(String name, String value) {
        env.put(name, value);
        return this;
    }

    GrantBuilder hookNotRun(CdiHook h) {
        if (!hooks.contains(h)) {
            hooks.add(h);
        }
        return this;
    }

    boolean hasMount(String target) {
        return mounts.containsKey(target);
    }

    List<GpuMount> mounts() {
        return List.copyOf(mounts.values());
    }

    GpuGrant build() {
        return new GpuGrant(containerId, gpus, List.copyOf(devices.values()), List.copyOf(mounts.values()), env, hooks);
    }
}
