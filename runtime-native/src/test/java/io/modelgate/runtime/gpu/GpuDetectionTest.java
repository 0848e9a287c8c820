package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GpuDetectionTest {
    @TempDir
    Path tmp;

    @Test
    void refuses_gpus_on_a_machine_without_any_and_says_where_it_looked() {
        FakeMachine m = new FakeMachine(tmp);
        Gpus gpus = Gpus.detect(m.config());

        assertThat(gpus).isInstanceOf(NoGpus.class);
        assertThat(gpus.gpus()).isEmpty();
        assertThat(gpus.grant("web-1", GpuRequest.count(0)).isEmpty()).isTrue();
        assertThatThrownBy(() -> gpus.grant("iris-1", GpuRequest.count(1)))
                .isInstanceOf(GpuUnavailableException.class)
                .hasMessage("container 'iris-1' needs 1 GPU, but no NVIDIA GPU found on this machine (looked for "
                        + m.dev.resolve("nvidia0") + "… and for CDI specs of nvidia.com/gpu in " + m.etcCdi + ", " + m.runCdi + ")");
        assertThat(gpus.describe()).startsWith("no NVIDIA GPU found on this machine");
    }

    @Test
    void prefers_a_cdi_spec_to_the_devices_it_finds() {
        FakeMachine m = FakeMachine.withTwoGpus(tmp);
        m.cdiSpec(m.etcCdi, "nvidia-local.json");

        Gpus gpus = Gpus.detect(m.config());
        GpuGrant grant = gpus.grant("web-1", GpuRequest.all());

        assertThat(gpus).isInstanceOf(NvidiaGpus.class);
        assertThat(gpus.describe()).startsWith("NVIDIA GPUs from CDI spec " + m.etcCdi.resolve("nvidia-local.json"));
        assertThat(gpus.gpus()).extracting(Gpu::index).containsExactly(0);
        assertThat(grant.deviceCgroupRules()).containsExactly("c 195:255 rwm", "c 195:0 rw");
        assertThat(grant.mounts()).extracting(GpuMount::target).containsExactly("/usr/lib64/libcuda.so.550.54.15", "/usr/lib64/libcuda.so.1");
    }

    @Test
    void uses_the_devices_when_cdi_specs_are_of_other_kinds() {
        FakeMachine m = FakeMachine.withTwoGpus(tmp);
        m.cdiSpec(m.runCdi, "other-vendor.yaml");

        assertThat(Gpus.detect(m.config()).describe()).startsWith("NVIDIA GPUs from device nodes under " + m.dev);
    }

    @Test
    void refuses_gpus_when_the_cdi_spec_lists_none() {
        FakeMachine m = FakeMachine.withTwoGpus(tmp);
        FakeMachine.write(m.etcCdi.resolve("nvidia.yaml"), "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: []\n");

        Gpus gpus = Gpus.detect(m.config());

        assertThat(gpus.gpus()).isEmpty();
        assertThatThrownBy(() -> gpus.grant("web-1", GpuRequest.all()))
                .hasMessageContaining("no NVIDIA GPU found on this machine (the CDI spec " + m.etcCdi.resolve("nvidia.yaml") + " lists no GPU");
    }

    @Test
    void stops_at_a_broken_cdi_spec_rather_than_ignoring_it() {
        FakeMachine m = new FakeMachine(tmp);
        FakeMachine.write(m.runCdi.resolve("nvidia.yaml"), "cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices: {oops\n");

        assertThatThrownBy(() -> Gpus.detect(m.config())).isInstanceOf(GpuException.class)
                .hasMessageContaining("CDI spec " + m.runCdi.resolve("nvidia.yaml") + " is not valid YAML");
    }
}
