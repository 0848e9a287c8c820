package io.modelgate.runtime.container;

import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.runtime.process.NetworkMode;
import io.modelgate.runtime.testing.BusyboxContainers;
import io.modelgate.runtime.testing.TestRuntimeCleanup;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A container's cgroups are found under the parent cgroup it was started with, not the one of whichever runtime
 * removes it (needs root): a gateway restarted with another {@code modelgate.cgroupParent}, or {@code modelgate rm}
 * run without it, must not remove the container's record and leave its cgroups behind.
 */
@ExtendWith(TestRuntimeCleanup.class)
class CgroupParentIT {
    @TempDir
    Path tmp;
    Containers.Runtime defaults = Containers.Runtime.defaults();
    String otherParent = defaults.cgroupParent() + "-other";
    Containers started;
    Containers removing;

    @BeforeEach
    void setUp() throws Exception {
        ExternalTools.requireRoot();
        started = Containers.open(tmp, new Containers.Runtime(otherParent, defaults.bridge(), defaults.subnet(),
                defaults.gpuConfig()));
        removing = Containers.open(tmp, defaults);
        BusyboxContainers.importImage(started, "busybox:parent");
    }

    @AfterEach
    void tearDown() throws Exception {
        BusyboxContainers.removeAll(started);
        TestRuntimeCleanup.removeParent(otherParent);
    }

    @Test
    void removes_a_container_started_under_another_parent_cgroup_with_all_its_cgroups() throws Exception {
        ContainerInfo c = started.run(RunRequest.of("busybox:parent").withName("elsewhere")
                .withNetwork(NetworkMode.NONE).withCommand(List.of("sleep", "300")));
        assertThat(TestRuntimeCleanup.containerCgroups(otherParent)).as("the container's cgroups")
                .isNotEmpty().allMatch(dir -> dir.getFileName().toString().equals(c.id()));
        assertThat(removing.inspect("elsewhere").state()).isEqualTo("running");

        // sleep as pid 1 ignores SIGTERM: after the grace the stop kills what is in the container's cgroups
        assertThat(removing.stop("elsewhere", Duration.ofMillis(200)).running()).isFalse();
        removing.remove("elsewhere", true);

        assertThat(removing.list(true)).isEmpty();
        assertThat(TestRuntimeCleanup.containerCgroups(otherParent)).as("cgroups left under %s", otherParent).isEmpty();
    }
}
