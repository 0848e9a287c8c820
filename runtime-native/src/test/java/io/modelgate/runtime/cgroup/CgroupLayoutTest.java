package io.modelgate.runtime.cgroup;

import io.modelgate.runtime.cgroup.CgroupLayout.Version;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class CgroupLayoutTest {

    @Test
    void chooses_the_v1_hierarchies_when_the_cgroup2_mount_lacks_memory_in_the_captured_hybrid_layout() {
        CgroupLayout layout = Fixtures.layout("hybrid");

        assertThat(layout.version()).isEqualTo(Version.HYBRID);
        assertThat(layout.unifiedMount()).contains(Path.of("/sys/fs/cgroup/unified"));
        assertThat(layout.unifiedControllers()).containsExactly("hugetlb");
        assertThat(layout.v1Mounts()).contains(
                entry("memory", Path.of("/sys/fs/cgroup/memory")),
                entry("cpu", Path.of("/sys/fs/cgroup/cpu")),
                entry("cpuacct", Path.of("/sys/fs/cgroup/cpuacct")),
                entry("pids", Path.of("/sys/fs/cgroup/pids")),
                entry("devices", Path.of("/sys/fs/cgroup/devices")),
                entry("freezer", Path.of("/sys/fs/cgroup/freezer")));
        assertThat(layout.describe()).startsWith("hybrid cgroups: v1 for limits (memory at /sys/fs/cgroup/memory")
                .endsWith("cgroup2 at /sys/fs/cgroup/unified without the memory controller (offers hugetlb)");
    }

    @Test
    void chooses_v1_with_co_mounted_cpu_when_systemd_runs_the_hybrid_layout_with_an_empty_cgroup2() {
        CgroupLayout layout = Fixtures.layout("hybrid-systemd");

        assertThat(layout.version()).isEqualTo(Version.HYBRID);
        assertThat(layout.unifiedControllers()).isEmpty();
        assertThat(layout.v1Mounts().get("cpu")).isEqualTo(Path.of("/sys/fs/cgroup/cpu,cpuacct"));
        assertThat(layout.v1Mounts().get("cpuacct")).isEqualTo(Path.of("/sys/fs/cgroup/cpu,cpuacct"));
        assertThat(layout.processCgroups()).containsEntry("memory", "/user.slice/user-1000.slice/session-2.scope");
    }

    @Test
    void chooses_v2_when_the_cgroup2_root_offers_memory_cpu_and_pids() {
        CgroupLayout layout = Fixtures.layout("v2");

        assertThat(layout.version()).isEqualTo(Version.V2);
        assertThat(layout.unifiedMount()).contains(Path.of("/sys/fs/cgroup"));
        assertThat(layout.unifiedControllers()).contains("memory", "cpu", "pids", "io");
        assertThat(layout.processCgroups()).containsEntry(ProcCgroup.UNIFIED, "/user.slice/user-1000.slice/session-3.scope");
        assertThat(layout.describe()).isEqualTo("cgroup v2 at /sys/fs/cgroup (controllers cpu cpuset hugetlb io memory misc pids rdma)");
    }

    @Test
    void chooses_v1_when_there_is_no_cgroup2_mount() {
        CgroupLayout layout = Fixtures.layout("v1");

        assertThat(layout.version()).isEqualTo(Version.V1);
        assertThat(layout.unifiedMount()).isEmpty();
        assertThat(layout.v1Mounts()).containsKeys("memory", "cpu", "cpuacct", "pids", "devices", "freezer", "net_cls");
    }

    @Test
    void refuses_saying_what_each_hierarchy_offers_when_no_hierarchy_has_memory() {
        String mountinfo = "41 31 0:38 / /sys/fs/cgroup rw,relatime - cgroup2 cgroup2 rw\n";

        assertThatThrownBy(() -> CgroupLayout.parse(mountinfo, "0::/\n", "cpu io pids\n"))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("no cgroup hierarchy on this host can enforce memory, cpu and pids limits")
                .hasMessageContaining("the cgroup2 mount at /sys/fs/cgroup offers [cpu, io, pids]")
                .hasMessageContaining("systemd.unified_cgroup_hierarchy=1");
    }

    @Test
    void refuses_naming_the_mount_command_when_a_needed_v1_controller_is_not_mounted() {
        String mountinfo = Fixtures.text("hybrid/mountinfo").lines()
                .filter(line -> !line.contains("/sys/fs/cgroup/freezer"))
                .reduce("", (a, b) -> a + b + "\n");

        assertThatThrownBy(() -> CgroupLayout.parse(mountinfo, Fixtures.text("hybrid/cgroup"), "hugetlb"))
                .isInstanceOf(CgroupException.class)
                .hasMessageContaining("cgroup v1 controller(s) freezer are not mounted")
                .hasMessageContaining("mount -t cgroup -o freezer cgroup /sys/fs/cgroup/freezer");
    }

    @Test
    void prefers_the_mount_of_the_hierarchy_root_when_a_sub_tree_is_bind_mounted_first() {
        String mountinfo = "50 31 0:32 /docker/abc /var/lib/x/rootfs/sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
                + Fixtures.text("hybrid/mountinfo");

        assertThat(CgroupLayout.parse(mountinfo, "0::/\n", "hugetlb").v1Mounts().get("memory"))
                .isEqualTo(Path.of("/sys/fs/cgroup/memory"));
    }

    @Test
    void moves_every_mount_point_under_a_root_when_a_fake_tree_stands_in() {
        CgroupLayout layout = Fixtures.layout("hybrid").under(Path.of("/tmp/fake"));

        assertThat(layout.v1Mounts().get("pids")).isEqualTo(Path.of("/tmp/fake/sys/fs/cgroup/pids"));
        assertThat(layout.unifiedMount()).isEqualTo(Optional.of(Path.of("/tmp/fake/sys/fs/cgroup/unified")));
        assertThat(layout.version()).isEqualTo(Version.HYBRID);
    }

    @Test
    void rejects_a_v1_layout_when_built_without_the_needed_hierarchies() {
        assertThatThrownBy(() -> new CgroupLayout(Version.V1, Map.of("memory", Path.of("/m")), Optional.empty(),
                Set.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("needs v1 mounts of [cpu, cpuacct, pids, devices, freezer]");
    }
}
