package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The v1 backend on a fake tree laid out as the hybrid systemd sample (cpu and cpuacct co-mounted): which
 * directories it makes and which files it writes. The kernel's side is played by the test.
 */
class CgroupsV1Test {
    private static final long MIB = 1024 * 1024;
    private static final List<String> HIERARCHIES = List.of("memory", "cpu,cpuacct", "pids", "devices", "freezer");

    @TempDir
    Path tmp;
    Path root;
    Cgroups cgroups;

    @BeforeEach
    void setUp() {
        cgroups = Cgroups.of(Fixtures.layout("hybrid-systemd").under(tmp), "modelgate");
        root = tmp.resolve("sys/fs/cgroup");
    }

    @Test
    void makes_one_directory_per_hierarchy_when_controllers_are_co_mounted() {
        cgroups.create("c1");

        assertThat(cgroups.directories("c1")).containsExactlyElementsOf(
                HIERARCHIES.stream().map(h -> root.resolve(h).resolve("modelgate/c1")).toList());
        assertThat(cgroups.directories("c1")).allMatch(Files::isDirectory);
        assertThat(root.resolve("unified/modelgate")).doesNotExist();
        assertThat(cgroups.list()).containsExactly("c1");
    }

    @Test
    void refuses_naming_the_directory_when_the_cgroup_already_exists_in_one_hierarchy() throws IOException {
        Files.createDirectories(root.resolve("pids/modelgate/c1"));

        assertThatThrownBy(() -> cgroups.create("c1"))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("cgroup modelgate/c1 already exists at " + root.resolve("pids/modelgate/c1"));
        assertThat(root.resolve("memory/modelgate/c1")).doesNotExist();
    }

    @Test
    void lists_a_cgroup_when_a_crash_left_it_in_only_one_hierarchy() throws IOException {
        Files.createDirectories(root.resolve("freezer/modelgate/orphan"));
        cgroups.create("c1");

        assertThat(cgroups.list()).containsExactly("c1", "orphan");
    }

    @Test
    void writes_each_limit_to_its_hierarchy_and_denies_all_devices_first_when_applying() throws IOException {
        created("c1");

        cgroups.apply("c1", Limits.of(64 * MIB, 0.5, 20));

        assertThat(read("memory", "c1", "memory.limit_in_bytes")).isEqualTo("67108864");
        assertThat(read("cpu,cpuacct", "c1", "cpu.cfs_period_us")).isEqualTo("100000");
        assertThat(read("cpu,cpuacct", "c1", "cpu.cfs_quota_us")).isEqualTo("50000");
        assertThat(read("pids", "c1", "pids.max")).isEqualTo("20");
        assertThat(read("devices", "c1", "devices.deny")).isEqualTo("a");
        assertThat(read("devices", "c1", "devices.allow")).isEqualTo("c 136:* rwm"); // a file keeps the last write only
    }

    @Test
    void writes_the_pid_to_every_hierarchy_when_adding_a_process() throws IOException {
        created("c1");

        cgroups.addProcess("c1", 4242);

        for (String hierarchy : HIERARCHIES) {
            assertThat(read(hierarchy, "c1", "cgroup.procs")).isEqualTo("4242");
        }
    }

    @Test
    void names_the_missing_file_and_its_controller_when_the_kernel_did_not_make_it() {
        cgroups.create("c1");

        assertThatThrownBy(() -> cgroups.apply("c1", Limits.of(64 * MIB, 0.5, 20)))
                .isInstanceOf(CgroupException.class)
                .hasMessage("cannot write '67108864' to " + root.resolve("memory/modelgate/c1/memory.limit_in_bytes")
                        + ": it does not exist (is the cgroup there and its controller enabled?)");
    }

    private void created(String id) throws IOException {
        cgroups.create(id);
        List<String> files = List.of("cgroup.procs", "memory.limit_in_bytes", "cpu.cfs_period_us", "cpu.cfs_quota_us",
                "pids.max", "devices.deny", "devices.allow");
        for (String hierarchy : HIERARCHIES) {
            for (String file : files) {
                Files.writeString(root.resolve(hierarchy).resolve("modelgate").resolve(id).resolve(file), "");
            }
        }
    }

    private String read(String hierarchy, String id, String file) throws IOException {
        return Files.readString(root.resolve(hierarchy).resolve("modelgate").resolve(id).resolve(file));
    }
}
