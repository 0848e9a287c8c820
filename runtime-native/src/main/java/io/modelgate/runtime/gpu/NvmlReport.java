package io.modelgate.runtime.gpu;

import java.util.List;

/**
 * Prints what the gateway's GPU metrics would read through NVML, one line per GPU, for gpu-check.sh on a GPU machine:
 * {@code GPU <minor> <uuid> <name>: utilization <n>% memory <used>/<total> MiB}. Exit status 0 when NVML lists at
 * least one GPU, 1 when it lists none, 2 when the library does not load or NVML fails.
 */
public final class NvmlReport {
    private NvmlReport() {
    }

    public static void main(String[] args) {
        String library = args.length > 0 ? args[0] : Nvml.LIBRARY;
        try (Nvml nvml = Nvml.open(library)) {
            List<GpuSample> gpus = nvml.sample();
            for (GpuSample g : gpus) {
                System.out.printf("GPU %d %s %s: utilization %s memory %d/%d MiB%n", g.index(), g.uuid(),
                        g.name().orElse("(no name)"),
                        g.utilizationPercent().isPresent() ? g.utilizationPercent().getAsInt() + "%" : "not supported",
                        g.memoryUsedBytes() >> 20, g.memoryTotalBytes() >> 20);
            }
            System.exit(gpus.isEmpty() ? 1 : 0);
        } catch (NvmlException e) {
            System.err.println("nvml-report: " + e.getMessage());
            System.exit(2);
        }
    }
}
