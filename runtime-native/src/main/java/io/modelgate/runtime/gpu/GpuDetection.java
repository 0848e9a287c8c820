package io.modelgate.runtime.gpu;

import java.util.ArrayList;
import java.util.List;

/** Picks the backend once: a CDI spec of kind nvidia.com/gpu wins over device discovery; nothing found gives NoGpus. */
final class GpuDetection {
    private GpuDetection() {
    }

    static Gpus detect(GpuConfig config, DeviceStat stat) {
        GpuAllocator allocator = new GpuAllocator(config.stateDir());
        List<CdiSpecs.Spec> specs = CdiSpecs.load(config.cdiDirs(), CdiSpecs.NVIDIA_GPU);
        if (!specs.isEmpty()) {
            List<String> warnings = new ArrayList<>();
            List<LdCache.Entry> ldCache = List.of();
            try {
                ldCache = LdCache.parse(config.ldCache().get(), config.arch());
            } catch (GpuException e) {
                warnings.add(e.getMessage() + ": libraries the spec mounts get no soname links");
            }
            CdiInventory cdi = CdiInventory.of(specs, stat, ldCache, warnings);
            if (cdi.gpus().isEmpty()) {
                return new NoGpus(allocator, "the " + cdi.source() + " lists no GPU (no device with one /dev/nvidiaN node)"
                        + "; regenerate it with 'nvidia-ctk cdi generate' or remove it", warnings);
            }
            return new NvidiaGpus(cdi, allocator);
        }
        HostInventory host = HostInventory.discover(config, stat);
        if (host.gpus().isEmpty()) {
            return new NoGpus(allocator, "looked for " + config.devRoot().resolve("nvidia0") + "… and for CDI specs of "
                    + CdiSpecs.NVIDIA_GPU + " in " + String.join(", ", config.cdiDirs().stream().map(Object::toString).toList()),
                    host.warnings());
        }
        return new NvidiaGpus(host, allocator);
    }
}
