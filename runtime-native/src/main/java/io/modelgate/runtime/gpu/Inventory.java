package io.modelgate.runtime.gpu;

import java.util.List;

/** What a source (device discovery, a CDI spec) knows about the GPUs, and what a container given some of them gets. */
interface Inventory {

    /** Where the GPUs were found, for messages: "device nodes under /dev", "CDI spec /etc/cdi/nvidia.yaml". */
    String source();

    /** The GPUs, by host index. */
    List<Gpu> gpus();

    /** Everything a container given {@code chosen} (some of {@link #gpus()}) needs; allocates nothing. */
    GpuGrant grant(String containerId, List<Gpu> chosen);

    /** Lines for a report: driver, control devices, libraries, tools. */
    List<String> describe();

    /** What is missing or was ignored, for a report. */
    List<String> warnings();
}
