package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The JNA binding of NVML against a stand-in libnvidia-ml.so built with gcc from src/test/resources/gpu/fake-nvml.c
 * (there is no GPU or NVIDIA driver here; see {@link FakeNvml}): the calls, the structures passed as arrays, and
 * what happens when the library is missing or nvmlInit fails.
 */
class NvmlTest {
    private static final long GIB = 1024L * 1024 * 1024;

    @TempDir
    Path tmp;

    @Test
    void reads_every_gpus_minor_number_uuid_utilisation_and_memory() throws Exception {
        try (Nvml nvml = Nvml.open(FakeNvml.build(tmp).toString())) {
            List<GpuSample> gpus = nvml.sample();

            assertThat(gpus).containsExactly(
                    new GpuSample(0, FakeNvml.GPU0_UUID, Optional.of("NVIDIA H100 80GB HBM3"), OptionalInt.of(37),
                            GIB, 80 * GIB),
                    new GpuSample(3, FakeNvml.GPU3_UUID, Optional.of("NVIDIA H100 80GB HBM3"), OptionalInt.empty(),
                            0, 80 * GIB));
        }
    }

    @Test
    void reads_one_gpu_by_its_uuid_and_names_an_unknown_one() throws Exception {
        try (Nvml nvml = Nvml.open(FakeNvml.build(tmp).toString())) {
            assertThat(nvml.sample(FakeNvml.GPU3_UUID).index()).isEqualTo(3);
            assertThatThrownBy(() -> nvml.sample("GPU-nope"))
                    .isInstanceOf(NvmlException.class)
                    .hasMessage("nvmlDeviceGetHandleByUUID(GPU-nope) failed: Not Found (nvmlReturn_t 6)");
        }
    }

    @Test
    void says_the_driver_is_missing_when_the_library_does_not_load() {
        assertThatThrownBy(() -> Nvml.open(tmp.resolve("libnvidia-ml.so.1").toString()))
                .isInstanceOf(NvmlException.class)
                .hasMessage("cannot load " + tmp.resolve("libnvidia-ml.so.1") + " (is the NVIDIA driver installed?): "
                        + tmp.resolve("libnvidia-ml.so.1") + ": cannot open shared object file: No such file or directory");
    }

    @Test
    void gives_nvmls_reason_when_init_fails() throws Exception {
        Path failing = FakeNvml.build(tmp, "INIT_FAILS");

        assertThatThrownBy(() -> Nvml.open(failing.toString()))
                .isInstanceOf(NvmlException.class)
                .hasMessage("nvmlInit_v2 in " + failing + " failed: Driver Not Loaded (nvmlReturn_t 9) "
                        + "(is the nvidia kernel module loaded?)");
    }

    @Test
    void refuses_to_sample_after_shutdown() throws Exception {
        Nvml nvml = Nvml.open(FakeNvml.build(tmp).toString());
        nvml.close();

        assertThatThrownBy(nvml::sample).isInstanceOf(IllegalStateException.class).hasMessageContaining("shut down");
    }
}
