package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** GPUs from CDI specs, with the host's device numbers read through a fake stat so no device is needed. */
class CdiInventoryTest {
    @TempDir
    Path tmp;

    private static final Map<String, DeviceStat.Number> HOST = Map.ofEntries(
            Map.entry("/dev/nvidia0", new DeviceStat.Number('c', 195, 0)),
            Map.entry("/dev/nvidia1", new DeviceStat.Number('c', 195, 1)),
            Map.entry("/dev/nvidiactl", new DeviceStat.Number('c', 195, 255)),
            Map.entry("/dev/nvidia-modeset", new DeviceStat.Number('c', 195, 254)),
            Map.entry("/dev/nvidia-uvm", new DeviceStat.Number('c', 508, 0)),
            Map.entry("/dev/nvidia-uvm-tools", new DeviceStat.Number('c', 508, 1)),
            Map.entry("/dev/dri/card1", new DeviceStat.Number('c', 226, 1)),
            Map.entry("/dev/dri/card2", new DeviceStat.Number('c', 226, 2)),
            Map.entry("/dev/dri/renderD128", new DeviceStat.Number('c', 226, 128)),
            Map.entry("/dev/dri/renderD129", new DeviceStat.Number('c', 226, 129)),
            Map.entry("/dev/nvidia-caps/nvidia-cap21", new DeviceStat.Number('c', 237, 21)),
            Map.entry("/dev/nvidia-caps/nvidia-cap22", new DeviceStat.Number('c', 237, 22)));

    private static final DeviceStat FAKE = p -> {
        DeviceStat.Number n = HOST.get(p.toString());
        if (n == null) {
            throw new NoSuchFileException(p.toString());
        }
        return Optional.of(n);
    };

    private static CdiInventory nvidiaCtkSpec() {
        CdiSpecs.Spec spec = CdiSpecs.parse(Path.of("/etc/cdi/nvidia.yaml"), FakeMachine.resource("cdi/nvidia.yaml"));
        return CdiInventory.of(List.of(spec), FAKE, List.of(), List.of());
    }

    @Test
    void offers_one_gpu_per_nvidia_node_named_by_index_and_uuid() {
        CdiInventory cdi = nvidiaCtkSpec();

        assertThat(cdi.source()).isEqualTo("CDI spec /etc/cdi/nvidia.yaml");
        assertThat(cdi.gpus()).extracting(Gpu::index).containsExactly(0, 1);
        assertThat(cdi.gpus().get(1).uuid()).hasValue("GPU-1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10");
        assertThat(cdi.gpus().get(1).device()).isEqualTo(DeviceNode.bind(Path.of("/dev/nvidia1"), "/dev/nvidia1", 'c', 195, 1));
        assertThat(cdi.gpus().get(0).isNamed("GPU-8d4f3c1e-2b6a-4f0e-9c1d-3e5a7b9c0d21")).isTrue();
    }

    @Test
    void gives_a_container_the_spec_wide_edits_and_those_of_its_gpu_only() {
        CdiInventory cdi = nvidiaCtkSpec();

        GpuGrant grant = cdi.grant("web-1", List.of(cdi.gpus().get(1)));

        assertThat(grant.devices()).extracting(DeviceNode::path).containsExactly("/dev/nvidia-modeset", "/dev/nvidia-uvm",
                "/dev/nvidia-uvm-tools", "/dev/nvidiactl", "/dev/nvidia1", "/dev/dri/card2", "/dev/dri/renderD129");
        assertThat(grant.deviceCgroupRules()).contains("c 195:1 rwm", "c 195:255 rwm", "c 508:0 rwm", "c 226:129 rwm")
                .doesNotContain("c 195:0 rwm");
        assertThat(grant.mounts()).extracting(GpuMount::target).contains("/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.15",
                "/usr/bin/nvidia-smi");
        assertThat(grant.env()).as("the spec's env wins over the defaults")
                .containsEntry("NVIDIA_VISIBLE_DEVICES", "void").containsEntry("CUDA_VISIBLE_DEVICES", "0");
        assertThat(grant.hooksNotRun()).extracting(h -> h.args().get(1)).containsExactly("create-symlinks", "update-ldcache");
        assertThat(cdi.grant("web-0", List.of(cdi.gpus().get(0))).hooksNotRun()).extracting(h -> h.args().get(1))
                .containsExactly("create-symlinks", "update-ldcache", "create-symlinks", "chmod");
    }

    @Test
    void takes_numbers_from_the_spec_and_binds_the_ld_caches_soname_links_of_mounted_libraries() {
        FakeMachine m = new FakeMachine(tmp).libraries().cdiSpec(tmp, "nvidia-local.json");
        CdiSpecs.Spec spec = CdiSpecs.load(List.of(tmp), "nvidia.com/gpu").get(0);
        DeviceStat none = p -> {
            throw new AssertionError("stat " + p + " although the spec gives its numbers");
        };
        CdiInventory cdi = CdiInventory.of(List.of(spec), none, LdCache.parse(m.ldCache(), "x86-64"), List.of());

        GpuGrant grant = cdi.grant("web-1", cdi.gpus());

        assertThat(cdi.gpus()).singleElement().satisfies(g -> assertThat(g.uuid()).hasValue("GPU-0aa0"));
        assertThat(grant.deviceCgroupRules()).containsExactly("c 195:255 rwm", "c 195:0 rw");
        Path real = m.lib.resolve("libcuda.so.550.54.15");
        assertThat(grant.mounts()).as("libcuda.so names the old driver's file, so it is not bound").containsExactly(
                GpuMount.readOnly(real, "/usr/lib64/libcuda.so.550.54.15"), GpuMount.readOnly(real, "/usr/lib64/libcuda.so.1"));
        assertThat(grant.env()).containsEntry("NVIDIA_VISIBLE_DEVICES", "0").containsEntry("NVIDIA_DRIVER_CAPABILITIES", "compute,utility");
    }

    @Test
    void names_the_spec_and_the_node_when_a_node_without_numbers_cannot_be_read() {
        CdiSpecs.Spec spec = CdiSpecs.parse(Path.of("/etc/cdi/nvidia.yaml"), FakeMachine.resource("cdi/nvidia.yaml")
                .replace("/dev/nvidia-uvm-tools", "/dev/nvidia-uvm-gone"));

        assertThatThrownBy(() -> CdiInventory.of(List.of(spec), FAKE, List.of(), List.of()))
                .isInstanceOf(GpuException.class)
                .hasMessageContaining("CDI spec /etc/cdi/nvidia.yaml lists device node /dev/nvidia-uvm-gone without its numbers")
                .hasMessageContaining("nvidia-ctk cdi generate");
    }

    @Test
    void lets_a_later_directory_replace_a_device_but_refuses_two_in_one_directory() {
        String text = FakeMachine.resource("cdi/nvidia.yaml");
        CdiSpecs.Spec etc = CdiSpecs.parse(Path.of("/etc/cdi/nvidia.yaml"), text);
        CdiSpecs.Spec run = CdiSpecs.parse(Path.of("/var/run/cdi/nvidia.yaml"),
                text.replace("/dev/dri/renderD129", "/dev/dri/renderD128"));
        CdiSpecs.Spec etcAgain = CdiSpecs.parse(Path.of("/etc/cdi/nvidia-copy.yaml"), text);

        CdiInventory cdi = CdiInventory.of(List.of(etc, run), FAKE, List.of(), new ArrayList<>());
        assertThat(cdi.grant("web-1", List.of(cdi.gpus().get(1))).devices()).extracting(DeviceNode::path)
                .contains("/dev/dri/renderD128").doesNotContain("/dev/dri/renderD129");
        assertThat(cdi.source()).isEqualTo("CDI specs /etc/cdi/nvidia.yaml, /var/run/cdi/nvidia.yaml");
        assertThatThrownBy(() -> CdiInventory.of(List.of(etc, etcAgain), FAKE, List.of(), List.of()))
                .hasMessageContaining("CDI specs /etc/cdi/nvidia.yaml and /etc/cdi/nvidia-copy.yaml both define nvidia.com/gpu=0");
    }
}
