package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Discovery on a fake machine with real device nodes (mknod, so root) and fake driver files. */
class HostInventoryTest {
    @TempDir
    Path tmp;

    @Test
    void finds_gpus_with_their_uuid_model_and_device_numbers() {
        FakeMachine m = FakeMachine.withTwoGpus(tmp);

        HostInventory host = HostInventory.discover(m.config(), DeviceStat.host());

        assertThat(host.source()).isEqualTo("device nodes under " + m.dev);
        assertThat(host.gpus()).containsExactly(
                new Gpu(0, Optional.of("GPU-8d4f3c1e-2b6a-4f0e-9c1d-3e5a7b9c0d21"), Optional.of("NVIDIA H100 80GB HBM3"),
                        DeviceNode.bind(m.dev.resolve("nvidia0"), "/dev/nvidia0", 'c', 195, 0)),
                new Gpu(1, Optional.of("GPU-1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10"), Optional.of("NVIDIA H100 80GB HBM3"),
                        DeviceNode.bind(m.dev.resolve("nvidia1"), "/dev/nvidia1", 'c', 195, 1)));
        assertThat(host.describe()).contains("driver: 550.54.15");
        assertThat(host.warnings()).noneMatch(w -> w.contains("missing"));
    }

    @Test
    void grants_the_gpus_nodes_the_control_nodes_the_drivers_libraries_and_nvidia_smi() {
        FakeMachine m = FakeMachine.withTwoGpus(tmp);
        HostInventory host = HostInventory.discover(m.config(), DeviceStat.host());

        GpuGrant grant = host.grant("web-1", List.of(host.gpus().get(1)));

        assertThat(grant.devices()).containsExactly(
                DeviceNode.bind(m.dev.resolve("nvidia1"), "/dev/nvidia1", 'c', 195, 1),
                DeviceNode.bind(m.dev.resolve("nvidiactl"), "/dev/nvidiactl", 'c', 195, 255),
                DeviceNode.bind(m.dev.resolve("nvidia-uvm"), "/dev/nvidia-uvm", 'c', 508, 0));
        assertThat(grant.deviceCgroupRules()).containsExactly("c 195:1 rwm", "c 195:255 rwm", "c 508:0 rwm");
        assertThat(grant.env()).containsEntry("NVIDIA_VISIBLE_DEVICES", "1").containsEntry("CUDA_VISIBLE_DEVICES", "0");

        String lib = m.lib + "/";
        assertThat(grant.mounts()).allSatisfy(mount -> {
            assertThat(mount.readOnly()).isTrue();
            assertThat(Files.isSymbolicLink(mount.source())).as("%s is a real file", mount.source()).isFalse();
        });
        assertThat(grant.mounts()).extracting(GpuMount::target).containsExactlyInAnyOrder(
                lib + "libnvidia-ptxjitcompiler.so.550.54.15", lib + "libnvidia-ptxjitcompiler.so.1",
                lib + "libnvidia-nvvm.so.550.54.15", lib + "libnvidia-nvvm.so.4",
                lib + "libnvidia-ml.so.550.54.15", lib + "libnvidia-ml.so.1",
                lib + "libnvidia-gpucomp.so.550.54.15",
                lib + "libcudadebugger.so.550.54.15", lib + "libcudadebugger.so.1",
                lib + "libcuda.so.550.54.15", lib + "libcuda.so.1",
                "/usr/bin/nvidia-smi");
        assertThat(grant.mounts()).contains(GpuMount.readOnly(m.lib.resolve("libcuda.so.550.54.15"), lib + "libcuda.so.1"),
                GpuMount.readOnly(m.bin.resolve("nvidia-smi"), "/usr/bin/nvidia-smi"));
        assertThat(host.warnings()).anyMatch(w -> w.contains("libcuda.so -> " + m.lib.resolve("libcuda.so.535.1") + ", not of driver 550.54.15"))
                .anyMatch(w -> w.contains("libcuda.so.535.1, not of driver 550.54.15"));
    }

    @Test
    void makes_the_uvm_nodes_from_proc_devices_when_the_host_lacks_them() {
        FakeMachine m = new FakeMachine(tmp).gpu(0).node("nvidiactl", 195, 255).procDevices().driverInSys().libraries();

        HostInventory host = HostInventory.discover(m.config(), DeviceStat.host());
        GpuGrant grant = host.grant("web-1", host.gpus());

        assertThat(grant.devices()).contains(DeviceNode.create("/dev/nvidia-uvm", 'c', 508, 0),
                DeviceNode.create("/dev/nvidia-uvm-tools", 'c', 508, 1));
        assertThat(host.warnings()).anyMatch(w -> w.contains("nvidia-modprobe -u -c=0"))
                .anyMatch(w -> w.contains("no nvidia-smi"));
        assertThat(grant.mounts()).extracting(GpuMount::target).contains(m.lib + "/libcuda.so.1");
    }

    @Test
    void binds_no_library_when_the_driver_version_is_unknown() {
        FakeMachine m = new FakeMachine(tmp).gpu(0).node("nvidiactl", 195, 255).libraries().nvidiaSmi();

        HostInventory host = HostInventory.discover(m.config(), DeviceStat.host());

        assertThat(host.grant("web-1", host.gpus()).mounts()).extracting(GpuMount::target).containsExactly("/usr/bin/nvidia-smi");
        assertThat(host.warnings()).anyMatch(w -> w.startsWith("driver version unknown"))
                .anyMatch(w -> w.contains("nvidia-uvm is missing and nvidia-uvm is not in /proc/devices"));
    }

    @Test
    void ignores_files_named_like_gpus_that_are_not_devices() throws Exception {
        FakeMachine m = new FakeMachine(tmp).gpu(0);
        Files.writeString(m.dev.resolve("nvidia7"), "");
        Files.createDirectories(m.dev.resolve("nvidia-caps"));

        HostInventory host = HostInventory.discover(m.config(), DeviceStat.host());

        assertThat(host.gpus()).extracting(Gpu::index).containsExactly(0);
        assertThat(host.warnings()).anyMatch(w -> w.contains("nvidia7 is not a character device"));
    }

    @Test
    void keeps_only_libraries_of_the_running_driver_without_device_nodes() {
        FakeMachine m = new FakeMachine(tmp).libraries();
        List<String> warnings = new ArrayList<>();

        List<GpuMount> mounts = HostInventory.findLibraries(LdCache.parse(m.ldCache(), "x86-64"), "535.1", warnings);

        assertThat(mounts).extracting(GpuMount::target).containsExactly(m.lib + "/libcuda.so.535.1", m.lib + "/libcuda.so");
        assertThat(warnings).anyMatch(w -> w.contains("no libnvidia-ml.so.535.1 in the ld cache"));
    }
}
