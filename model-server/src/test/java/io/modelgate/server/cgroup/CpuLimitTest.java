package io.modelgate.server.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Fake /sys/fs/cgroup trees and /proc/self/cgroup texts, as captured from v1, v2 and hybrid hosts. */
class CpuLimitTest {
  @TempDir
  Path root;

  private Path write(String relative, String content) throws IOException {
    Path p = root.resolve(relative);
    Files.createDirectories(p.getParent());
    Files.writeString(p, content);
    return p;
  }

  private Path self(String text) throws IOException {
    return write("proc-self-cgroup", text);
  }

  @Test
  void parses_cpu_max_when_a_quota_is_set() {
    assertThat(CpuLimit.parseCpuMax("150000 100000\n")).hasValue(1.5);
    assertThat(CpuLimit.parseCpuMax("max 100000\n")).isEmpty();
  }

  @Test
  void parses_cfs_files_when_the_quota_is_set_and_not_minus_one() {
    assertThat(CpuLimit.parseCfs("200000\n", "100000\n")).hasValue(2.0);
    assertThat(CpuLimit.parseCfs("-1\n", "100000\n")).isEmpty();
  }

  @Test
  void rounds_a_fractional_v2_quota_up_when_inside_a_container_with_its_own_cgroup_namespace() throws IOException {
    write("cpu.max", "150000 100000\n");
    assertThat(CpuLimit.cores(root, self("0::/\n"), 16)).isEqualTo(2);
  }

  @Test
  void takes_the_tightest_limit_along_the_path_when_a_parent_is_tighter() throws IOException {
    write("kubepods/cpu.max", "100000 100000\n");
    write("kubepods/pod1/cpu.max", "400000 100000\n");
    assertThat(CpuLimit.cores(root, self("0::/kubepods/pod1\n"), 16)).isEqualTo(1);
  }

  @Test
  void reads_the_v1_cpu_controller_when_the_host_has_cgroup_v1() throws IOException {
    write("cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "300000\n");
    write("cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
    String text = "12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n1:name=systemd:/docker/abc\n";
    assertThat(CpuLimit.cores(root, self(text), 16)).isEqualTo(3);
  }

  @Test
  void reads_a_v1_cpu_mount_of_its_own_when_the_layout_is_hybrid() throws IOException {
    write("cpu/modelgate/iris-0/cpu.cfs_quota_us", "50000\n");
    write("cpu/modelgate/iris-0/cpu.cfs_period_us", "100000\n");
    write("unified/cpu.max", "max 100000\n");
    String text = "2:cpuacct:/modelgate/iris-0\n1:cpu:/modelgate/iris-0\n0::/modelgate/iris-0\n";
    assertThat(CpuLimit.cores(root, self(text), 2)).isEqualTo(1);
  }

  @Test
  void uses_the_processors_the_jvm_sees_when_no_quota_is_set() throws IOException {
    write("cpu/cpu.cfs_quota_us", "-1\n");
    write("cpu/cpu.cfs_period_us", "100000\n");
    assertThat(CpuLimit.cores(root, self("1:cpu:/\n0::/\n"), 6)).isEqualTo(6);
  }

  @Test
  void never_exceeds_the_processors_the_jvm_sees_when_the_quota_is_larger() throws IOException {
    write("cpu.max", "800000 100000\n");
    assertThat(CpuLimit.cores(root, self("0::/\n"), 2)).isEqualTo(2);
  }

  @Test
  void uses_the_processors_the_jvm_sees_when_the_files_cannot_be_read() {
    assertThat(CpuLimit.cores(root.resolve("absent"), root.resolve("absent-self"), 4)).isEqualTo(4);
  }
}
