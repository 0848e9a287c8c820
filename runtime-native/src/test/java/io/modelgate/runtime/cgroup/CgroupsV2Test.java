package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The v2 backend on a fake tree laid out as the captured v2 sample's mounts: which files it reads and writes,
 * with what. The kernel's side (a directory that fills itself with control files) is played by the test.
 */
class CgroupsV2Test {
    private static final long MIB = 1024 * 1024;

    @TempDir
    Path tmp;
    Path root;
    Cgroups cgroups;
    /** The device allow-lists the backend attached, by cgroup (the kernel's part is DeviceFilterIT's). */
    Map<Path, List<DeviceRule>> attached = new LinkedHashMap<>();

    @BeforeEach
    void setUp() throws IOException {
        cgroups = new CgroupsV2(Fixtures.layout("v2").under(tmp), "modelgate", new DeviceFilter() {
            @Override
            public void attach(Path cgroup, List<DeviceRule> rules) {
                attached.put(cgroup, rules);
            }

            @Override
            public void clear(Path cgroup) {
                attached.remove(cgroup);
            }
        });
        root = tmp.resolve("sys/fs/cgroup");
        kernelCgroup(root, "cpuset cpu io memory hugetlb pids rdma misc", "cpuset cpu io memory pids");
    }

    @Test
    void enables_memory_cpu_and_pids_in_each_parent_and_makes_one_directory_when_creating() throws IOException {
        kernelCgroup(root.resolve("modelgate"), "cpuset cpu io memory pids", "");

        cgroups.create("c1");

        assertThat(root.resolve("modelgate/c1")).isDirectory();
        assertThat(Files.readString(root.resolve("cgroup.subtree_control"))).isEqualTo("cpuset cpu io memory pids");
        assertThat(Files.readString(root.resolve("modelgate/cgroup.subtree_control"))).isEqualTo("+memory +cpu +pids");
        assertThat(cgroups.directories("c1")).containsExactly(root.resolve("modelgate/c1"));
        assertThat(cgroups.list()).containsExactly("c1");
    }

    @Test
    void explains_the_no_internal_process_rule_and_the_fix_when_the_parent_holds_processes() {
        Path parent = root.resolve("modelgate");

        assertThat(CgroupsV2.internalProcesses(parent, List.of("memory", "cpu", "pids"), List.of(1L, 2L, 3L, 4L, 5L, 6L),
                "/user.slice", new FileSystemException(parent + "/cgroup.subtree_control", null,
                        "Device or resource busy")))
                .hasMessage("cannot enable [memory, cpu, pids] in " + parent.resolve("cgroup.subtree_control")
                        + " (Device or resource busy): the cgroup holds processes [1, 2, 3, 4, 5] and 1 more and cgroup v2 "
                        + "lets only a cgroup without processes hand controllers to its children (the no-internal-process "
                        + "rule; this process is in /user.slice). Move those processes into a child cgroup (mkdir "
                        + parent.resolve("init") + "; echo PID > " + parent.resolve("init/cgroup.procs") + "), or run "
                        + "modelgate in a cgroup delegated to it (systemd: Delegate=yes)");
    }

    @Test
    void refuses_naming_the_offered_controllers_when_the_parent_lacks_one() throws IOException {
        kernelCgroup(root.resolve("modelgate"), "cpu pids", "");

        assertThatThrownBy(() -> cgroups.create("c1"))
                .hasMessageContaining("is not offered controller(s) [memory] (its cgroup.controllers lists [cpu, pids])");
    }

    @Test
    void refuses_when_the_cgroup_already_exists() throws IOException {
        kernelCgroup(root.resolve("modelgate"), "cpu memory pids", "cpu memory pids");
        Files.createDirectories(root.resolve("modelgate/c1"));

        assertThatThrownBy(() -> cgroups.create("c1")).hasMessageContaining("already exists (left over from a crash?");
    }

    @Test
    void writes_memory_max_cpu_max_and_pids_max_and_reads_them_back_when_applying() throws IOException {
        Path dir = created("c1");

        cgroups.apply("c1", Limits.of(64 * MIB, 0.5, 20));

        assertThat(Files.readString(dir.resolve("memory.max"))).isEqualTo("67108864");
        assertThat(Files.readString(dir.resolve("cpu.max"))).isEqualTo("50000 100000");
        assertThat(Files.readString(dir.resolve("pids.max"))).isEqualTo("20");
        assertThat(cgroups.limits("c1")).isEqualTo(Limits.of(64 * MIB, 0.5, 20));
    }

    @Test
    void attaches_the_device_allow_list_to_the_containers_cgroup_unless_every_device_is_allowed() throws IOException {
        Path dir = created("c1");
        created("c2");
        List<DeviceRule> gpu = List.of(DeviceRule.charDevice(195, 0, "rwm"));

        cgroups.apply("c1", Limits.of(64 * MIB, 0.5, 20).allowingDevices(gpu));
        cgroups.apply("c2", Limits.unlimited());

        assertThat(attached).containsOnlyKeys(dir);
        assertThat(attached.get(dir)).containsAll(DeviceRule.CONTAINER_DEFAULTS).containsAll(gpu)
                .hasSize(DeviceRule.CONTAINER_DEFAULTS.size() + 1);
        assertThat(cgroups.limits("c1").devices()).isEqualTo(attached.get(dir));
        assertThat(cgroups.limits("c2").devices()).containsExactly(DeviceRule.ALL);
    }

    @Test
    void lifts_the_device_restriction_when_every_device_is_allowed_again() throws IOException {
        Path dir = created("c1");
        cgroups.apply("c1", Limits.of(64 * MIB, 0.5, 20));

        cgroups.apply("c1", Limits.of(64 * MIB, 0.5, 20).withDevices(List.of(DeviceRule.ALL)));

        assertThat(attached).doesNotContainKey(dir);
        assertThat(cgroups.limits("c1").devices()).containsExactly(DeviceRule.ALL);
    }

    @Test
    void reads_each_counter_from_its_file_when_taking_stats() throws IOException {
        Path dir = created("c1");
        Files.writeString(dir.resolve("memory.current"), "1048576\n");
        Files.writeString(dir.resolve("memory.peak"), "2097152\n");
        Files.writeString(dir.resolve("memory.events"), Fixtures.text("stats/v2-memory.events"));
        Files.writeString(dir.resolve("cpu.stat"), Fixtures.text("stats/v2-cpu.stat"));
        Files.writeString(dir.resolve("pids.current"), "3\n");
        Files.writeString(dir.resolve("pids.events"), "max 7\n");

        assertThat(cgroups.stats("c1")).isEqualTo(new CgroupStats(1048576, OptionalLong.of(2097152), 130, 1,
                1843211000L, 3, 7));
        assertThat(cgroups.oomKills("c1")).isEqualTo(1);
    }

    @Test
    void writes_the_pid_to_cgroup_procs_when_adding_a_process() throws IOException {
        Path dir = created("c1");

        cgroups.addProcess("c1", 4242);

        assertThat(Files.readString(dir.resolve("cgroup.procs"))).isEqualTo("4242");
    }

    @Test
    void writes_cgroup_kill_when_the_kernel_has_it() throws IOException {
        Path dir = created("c1");
        Files.writeString(dir.resolve("cgroup.kill"), "");

        cgroups.killAll("c1", Duration.ofSeconds(1));

        assertThat(Files.readString(dir.resolve("cgroup.kill"))).isEqualTo("1");
    }

    @Test
    void does_nothing_when_killing_or_removing_a_cgroup_that_is_not_there() {
        cgroups.killAll("gone", Duration.ofMillis(50));
        cgroups.remove("gone", Duration.ofMillis(50));

        assertThat(cgroups.list()).isEmpty();
    }

    @Test
    void rejects_an_id_that_is_not_a_plain_name() {
        assertThatThrownBy(() -> cgroups.create("../escape")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cgroup name '../escape' must be 1-128 letters");
        assertThatThrownBy(() -> Cgroups.of(Fixtures.layout("v2"), "/abs")).hasMessageContaining("must be a relative path");
    }

    /** Makes the cgroup as far as modelgate goes, then fills in the control files as the kernel would. */
    private Path created(String id) throws IOException {
        kernelCgroup(root.resolve("modelgate"), "cpu memory pids", "cpu memory pids");
        cgroups.create(id);
        Path dir = root.resolve("modelgate").resolve(id);
        for (String file : List.of("memory.max", "cpu.max", "pids.max", "cgroup.procs")) {
            Files.writeString(dir.resolve(file), "");
        }
        return dir;
    }

    private static void kernelCgroup(Path dir, String controllers, String subtreeControl) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("cgroup.controllers"), controllers + "\n");
        Files.writeString(dir.resolve("cgroup.subtree_control"), subtreeControl);
        Files.writeString(dir.resolve("cgroup.procs"), "");
    }
}
