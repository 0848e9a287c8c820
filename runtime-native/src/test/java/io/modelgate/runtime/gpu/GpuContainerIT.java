package io.modelgate.runtime.gpu;

import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.container.RunRequest;
import io.modelgate.runtime.process.LogEntry;
import io.modelgate.runtime.process.NetworkMode;
import io.modelgate.runtime.testing.BusyboxContainers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Containers given GPUs of a fake machine: device nodes made with mknod (NVIDIA's major 195, no driver behind
 * them), empty driver libraries and an nvidia-smi script. The real check runs on a GPU machine (gpu-check.sh).
 */
@org.junit.jupiter.api.extension.ExtendWith(io.modelgate.runtime.testing.TestRuntimeCleanup.class)
class GpuContainerIT {
    @TempDir
    Path tmp;
    Containers containers;

    @BeforeEach
    void setUp() throws Exception {
        ExternalTools.requireRoot();
        FakeMachine machine = FakeMachine.withTwoGpus(tmp.resolve("machine"));
        Path home = tmp.resolve("home");
        containers = Containers.open(home, Containers.Runtime.defaults().withGpuConfig(h -> machine.config()));
        BusyboxContainers.importImage(containers, "busybox:gpu");
    }

    @AfterEach
    void tearDown() throws Exception {
        BusyboxContainers.removeAll(containers);
    }

    private String output(String name) throws Exception {
        containers.waitFor(name, Duration.ofSeconds(20)).orElseThrow();
        return containers.logs(name).stream().map(LogEntry::text).collect(Collectors.joining("\n"));
    }

    @Test
    void gives_a_container_the_device_nodes_libraries_nvidia_smi_and_environment() throws Exception {
        containers.run(RunRequest.of("busybox:gpu").withName("all").withNetwork(NetworkMode.NONE).withGpus("all")
                .withCommand(List.of("sh", "-c", "ls -l /dev/nvidia0 /dev/nvidia1 /dev/nvidiactl;"
                        + " echo visible=$NVIDIA_VISIBLE_DEVICES cuda=$CUDA_VISIBLE_DEVICES; nvidia-smi -L")));
        String out = output("all");
        assertThat(out).containsPattern("c.* 195, +0 .*/dev/nvidia0").containsPattern("c.* 195, +1 .*/dev/nvidia1")
                .containsPattern("c.* 195, +255 .*/dev/nvidiactl");
        assertThat(out).contains("visible=0,1 cuda=0,1");
        assertThat(out).contains("GPU 0: NVIDIA H100");
        assertThat(containers.inspect("all").gpus()).containsExactly("0", "1");
    }

    @Test
    void gives_gpus_exclusively_and_refuses_what_is_not_free() throws Exception {
        ContainerInfo first = containers.run(RunRequest.of("busybox:gpu").withName("first").withNetwork(NetworkMode.NONE)
                .withGpus("1").withCommand(List.of("sleep", "300")));
        assertThat(first.gpus()).containsExactly("0");
        assertThatThrownBy(() -> containers.run(RunRequest.of("busybox:gpu").withName("second").withNetwork(NetworkMode.NONE)
                .withGpus("2").withCommand(List.of("true"))))
                .isInstanceOf(GpuUnavailableException.class)
                .hasMessageContaining("needs 2 GPUs, 1 free of 2")
                .hasMessageContaining("GPU 0 is used by container " + first.id());
        assertThat(containers.list(true)).extracting(ContainerInfo::name).containsExactly("first");
        containers.remove("first", true);
        ContainerInfo again = containers.run(RunRequest.of("busybox:gpu").withName("third").withNetwork(NetworkMode.NONE)
                .withGpus("2").withCommand(List.of("true")));
        assertThat(again.gpus()).as("removing a container frees its GPUs").containsExactly("0", "1");
    }

    @Test
    void allows_the_given_gpu_in_the_device_cgroup_and_no_other() throws Exception {
        ContainerInfo c = containers.run(RunRequest.of("busybox:gpu").withName("one").withNetwork(NetworkMode.NONE)
                .withGpus("device=1").withCommand(List.of("sleep", "300")));
        Path devicesList = Path.of("/sys/fs/cgroup/devices", System.getProperty("modelgate.cgroupParent", "modelgate"), c.id(), "devices.list");
        if (Files.exists(devicesList)) {
            String rules = Files.readString(devicesList);
            assertThat(rules).contains("c 195:1 rwm").doesNotContain("c 195:0 rwm");
        }
        assertThat(c.gpus()).containsExactly("1");
    }
}
