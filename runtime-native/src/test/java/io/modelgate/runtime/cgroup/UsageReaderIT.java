package io.modelgate.runtime.cgroup;

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

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The usage reader on a real running container (needs root): a busybox container started through {@link Containers}
 * with a memory limit, read through the cgroups the runtime made for it, before and after it fills 48 MiB of its
 * /dev/shm (tmpfs pages are charged to the container's memory cgroup).
 */
@org.junit.jupiter.api.extension.ExtendWith(io.modelgate.runtime.testing.TestRuntimeCleanup.class)
class UsageReaderIT {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path tmp;
    Containers containers;

    @BeforeEach
    void setUp() throws Exception {
        ExternalTools.requireRoot();
        containers = Containers.open(tmp.resolve("home"));
        BusyboxContainers.importImage(containers, "busybox:usage");
    }

    @AfterEach
    void tearDown() throws Exception {
        BusyboxContainers.removeAll(containers);
    }

    @Test
    void sees_memory_grow_when_a_running_container_allocates_and_nothing_once_it_is_removed() throws Exception {
        ContainerInfo hog = containers.run(RunRequest.of("busybox:usage").withName("hog").withNetwork(NetworkMode.NONE)
                .withMemoryBytes(256 * MIB).withCommand(List.of("sh", "-c",
                        "while [ ! -e /tmp/go ]; do sleep 0.05; done; head -c 50331648 /dev/zero > /dev/shm/fill;"
                                + " echo filled; exec sleep 300")));
        UsageReader reader = UsageReader.of(Cgroups.detect(Containers.Runtime.defaults().cgroupParent()));

        CgroupUsage before = reader.read(hog.id()).orElseThrow();
        Process go = containers.exec("hog", List.of("touch", "/tmp/go"));
        assertThat(go.waitFor(20, TimeUnit.SECONDS)).isTrue();
        awaitLog("hog", "filled");
        CgroupUsage after = reader.read(hog.id()).orElseThrow();

        assertThat(before.memoryLimitBytes()).hasValue(256 * MIB);
        assertThat(before.memoryBytes()).isPositive();
        assertThat(after.memoryBytes() - before.memoryBytes()).as("growth after writing 48 MiB to tmpfs, from %s to %s",
                before, after).isGreaterThanOrEqualTo(40 * MIB);
        assertThat(after.cpuNanos()).as("the loop and head used CPU").isGreaterThan(before.cpuNanos());

        containers.remove(hog.id(), true);

        assertThat(reader.read(hog.id())).as("usage of a removed container").isEmpty();
    }

    private void awaitLog(String name, String line) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (containers.logs(name).stream().map(LogEntry::text).anyMatch(line::equals)) {
                return;
            }
            TimeUnit.MILLISECONDS.sleep(50);
        }
        throw new AssertionError("container " + name + " never printed '" + line + "': " + containers.logs(name));
    }
}
