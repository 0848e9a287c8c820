package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The usage reader on fake cgroup trees laid out as each captured layout: which files it reads for v1, v2 and the
 * hybrid layouts, and how it reads "no limit" and a cgroup that is gone. The kernel's side is played by the test.
 */
class UsageReaderTest {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path tmp;

    @Test
    void reads_cpuacct_usage_and_memory_usage_and_limit_when_the_host_is_v1() throws IOException {
        Cgroups cgroups = Cgroups.of(Fixtures.layout("v1").under(tmp), "modelgate");
        Path cg = tmp.resolve("sys/fs/cgroup");
        write(cg.resolve("cpu,cpuacct/modelgate/c1/cpuacct.usage"), "2500000000\n");
        write(cg.resolve("memory/modelgate/c1/memory.usage_in_bytes"), "48234496\n");
        write(cg.resolve("memory/modelgate/c1/memory.limit_in_bytes"), "536870912\n");

        CgroupUsage usage = UsageReader.of(cgroups).read("c1").orElseThrow();

        assertThat(usage).isEqualTo(new CgroupUsage(2_500_000_000L, 48_234_496L, OptionalLong.of(512 * MIB)));
        assertThat(usage.cpuSeconds()).isEqualTo(2.5);
    }

    @Test
    void reads_the_v1_hierarchies_when_the_host_is_hybrid_with_cpuacct_mounted_alone() throws IOException {
        CgroupLayout layout = Fixtures.layout("hybrid").under(tmp);
        assertThat(layout.version()).isEqualTo(CgroupLayout.Version.HYBRID);
        Path cg = tmp.resolve("sys/fs/cgroup");
        write(cg.resolve("cpuacct/mg/c1/cpuacct.usage"), "1000\n");
        write(cg.resolve("memory/mg/c1/memory.usage_in_bytes"), "4096\n");
        // the kernel's "no limit": PAGE_COUNTER_MAX pages of 4 KiB
        write(cg.resolve("memory/mg/c1/memory.limit_in_bytes"), "9223372036854771712\n");
        // the hybrid cgroup2 mount holds nothing of the container's: a file there must not be what is read
        write(cg.resolve("unified/mg/c1/memory.current"), "999\n");

        CgroupUsage usage = UsageReader.of(Cgroups.of(layout, "mg")).read("c1").orElseThrow();

        assertThat(usage).isEqualTo(new CgroupUsage(1000, 4096, OptionalLong.empty()));
    }

    @Test
    void reads_co_mounted_cpu_and_cpuacct_when_the_host_is_hybrid_systemd() throws IOException {
        Cgroups cgroups = Cgroups.of(Fixtures.layout("hybrid-systemd").under(tmp), "modelgate");
        Path cg = tmp.resolve("sys/fs/cgroup");
        write(cg.resolve("cpu,cpuacct/modelgate/c1/cpuacct.usage"), "7\n");
        write(cg.resolve("memory/modelgate/c1/memory.usage_in_bytes"), "8192\n");
        write(cg.resolve("memory/modelgate/c1/memory.limit_in_bytes"), "67108864\n");

        assertThat(UsageReader.of(cgroups).read("c1")).contains(new CgroupUsage(7, 8192, OptionalLong.of(64 * MIB)));
    }

    @Test
    void reads_cpu_stat_usage_usec_and_memory_current_and_max_when_the_host_is_v2() throws IOException {
        Cgroups cgroups = Cgroups.of(Fixtures.layout("v2").under(tmp), "modelgate");
        Path dir = tmp.resolve("sys/fs/cgroup/modelgate/c1");
        write(dir.resolve("cpu.stat"), Fixtures.text("stats/v2-cpu.stat"));
        write(dir.resolve("memory.current"), "123456\n");
        write(dir.resolve("memory.max"), "max\n");

        CgroupUsage usage = UsageReader.of(cgroups).read("c1").orElseThrow();

        assertThat(usage).isEqualTo(new CgroupUsage(1_843_211_000L, 123_456L, OptionalLong.empty()));

        write(dir.resolve("memory.max"), "268435456\n");
        assertThat(UsageReader.of(cgroups).read("c1").orElseThrow().memoryLimitBytes()).hasValue(256 * MIB);
    }

    @Test
    void reads_nothing_when_the_cgroup_is_gone() {
        Cgroups cgroups = Cgroups.of(Fixtures.layout("hybrid-systemd").under(tmp), "modelgate");

        assertThat(UsageReader.of(cgroups).read("removed")).isEqualTo(Optional.empty());
    }

    @Test
    void names_the_file_when_the_cgroup_is_there_but_a_file_says_something_else() throws IOException {
        Cgroups cgroups = Cgroups.of(Fixtures.layout("v2").under(tmp), "modelgate");
        Path dir = tmp.resolve("sys/fs/cgroup/modelgate/c1");
        write(dir.resolve("cpu.stat"), "usage_usec 10\n");
        write(dir.resolve("memory.current"), "lots\n");
        write(dir.resolve("memory.max"), "max\n");

        assertThatThrownBy(() -> UsageReader.of(cgroups).read("c1"))
                .isInstanceOf(CgroupException.class)
                .hasMessage(dir.resolve("memory.current") + ": expected a number or 'max', found 'lots'");
    }

    @Test
    void refuses_an_id_that_would_leave_the_parent() {
        Cgroups cgroups = Cgroups.of(Fixtures.layout("v2").under(tmp), "modelgate");

        assertThatThrownBy(() -> UsageReader.of(cgroups).read("../x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cgroup name '../x'");
    }

    private static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }
}
