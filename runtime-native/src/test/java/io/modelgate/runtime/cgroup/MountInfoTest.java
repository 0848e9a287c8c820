package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MountInfoTest {

    @Test
    void keeps_only_cgroup_mounts_with_their_controllers_when_parsing_the_hybrid_sample() {
        List<CgroupMount> mounts = MountInfo.cgroupMounts(Fixtures.text("hybrid/mountinfo"));

        assertThat(mounts).hasSize(10);
        assertThat(mounts).filteredOn(CgroupMount::unified)
                .containsExactly(new CgroupMount(true, Path.of("/sys/fs/cgroup/unified"), "/", Set.of()));
        assertThat(mounts).contains(
                new CgroupMount(false, Path.of("/sys/fs/cgroup/memory"), "/", Set.of("memory")),
                new CgroupMount(false, Path.of("/sys/fs/cgroup/cpuacct"), "/", Set.of("cpuacct")),
                new CgroupMount(false, Path.of("/sys/fs/cgroup/systemd"), "/", Set.of()));
    }

    @Test
    void reads_co_mounted_controllers_from_super_options_when_other_options_surround_them() {
        List<CgroupMount> mounts = MountInfo.cgroupMounts(Fixtures.text("v1/mountinfo"));

        assertThat(mounts).contains(
                new CgroupMount(false, Path.of("/sys/fs/cgroup/cpu,cpuacct"), "/", Set.of("cpu", "cpuacct")),
                new CgroupMount(false, Path.of("/sys/fs/cgroup/net_cls,net_prio"), "/", Set.of("net_cls", "net_prio")));
        assertThat(mounts).noneMatch(CgroupMount::unified);
    }

    @Test
    void finds_the_single_cgroup2_mount_when_parsing_the_v2_sample() {
        assertThat(MountInfo.cgroupMounts(Fixtures.text("v2/mountinfo")))
                .containsExactly(new CgroupMount(true, Path.of("/sys/fs/cgroup"), "/", Set.of()));
    }

    @Test
    void unescapes_octal_sequences_when_a_mount_point_has_spaces() {
        String line = "40 31 0:37 /docker/abc /var/lib/my\\040root/cgroup rw,relatime shared:3 master:1 - cgroup cgroup rw,memory\n";

        assertThat(MountInfo.cgroupMounts(line)).containsExactly(
                new CgroupMount(false, Path.of("/var/lib/my root/cgroup"), "/docker/abc", Set.of("memory")));
    }

    @Test
    void rejects_a_line_naming_its_number_when_the_separator_is_missing() {
        assertThatThrownBy(() -> MountInfo.cgroupMounts("22 27 0:21 / /proc rw\n31 23 0:28 / /x rw cgroup cgroup rw,memory\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mountinfo line 1 is malformed");
    }
}
