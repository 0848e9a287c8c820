package io.modelgate.server.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * How many cores this process may use: the CPU quota of its cgroup (v2 {@code cpu.max}, v1
 * {@code cpu.cfs_quota_us}/{@code cpu.cfs_period_us}, the tightest along the cgroup's path), rounded up,
 * and never more than the processors the JVM sees (CPU affinity, cpusets).
 *
 * <p>A container limited to 2 CPUs on a 64-core host must not start 64 ONNX Runtime threads: they would
 * be throttled in turn and every request would wait for the slowest.
 *
 * @see <a href="https://docs.kernel.org/admin-guide/cgroup-v2.html#cpu-interface-files">cgroup v2 cpu.max</a>
 */
public final class CpuLimit {
  private CpuLimit() {
  }

  /** The cores this process may use, as the running kernel says. */
  public static int cores() {
    return cores(Path.of("/sys/fs/cgroup"), Path.of("/proc/self/cgroup"), Runtime.getRuntime().availableProcessors());
  }

  static int cores(Path cgroupRoot, Path procSelfCgroup, int availableProcessors) {
    OptionalDouble quota = quota(cgroupRoot, read(procSelfCgroup).orElse(""));
    if (quota.isEmpty()) {
      return availableProcessors;
    }
    return (int) Math.max(1, Math.min(availableProcessors, Math.ceil(quota.getAsDouble())));
  }

  /** The tightest quota in cores along the process's cgroups, v1 and v2; empty when none is set. */
  static OptionalDouble quota(Path root, String procSelfCgroup) {
    double tightest = Double.POSITIVE_INFINITY;
    for (String line : procSelfCgroup.split("\n")) {
      String[] f = line.strip().split(":", 3);
      if (f.length != 3) {
        continue;
      }
      String path = f[2];
      if (f[0].equals("0") && f[1].isEmpty()) {
        // v2, mounted at the root (unified) or beside the v1 controllers (hybrid).
        for (Path base : List.of(root, root.resolve("unified"))) {
          for (Path dir : ancestors(base, path)) {
            tightest = Math.min(tightest, read(dir.resolve("cpu.max")).map(CpuLimit::parseCpuMax)
                .orElse(OptionalDouble.empty()).orElse(Double.POSITIVE_INFINITY));
          }
        }
      } else if (List.of(f[1].split(",")).contains("cpu")) {
        for (Path base : List.of(root.resolve("cpu"), root.resolve("cpu,cpuacct"), root.resolve("cpuacct,cpu"))) {
          for (Path dir : ancestors(base, path)) {
            Optional<String> quota = read(dir.resolve("cpu.cfs_quota_us"));
            Optional<String> period = read(dir.resolve("cpu.cfs_period_us"));
            if (quota.isPresent() && period.isPresent()) {
              tightest = Math.min(tightest, parseCfs(quota.get(), period.get()).orElse(Double.POSITIVE_INFINITY));
            }
          }
        }
      }
    }
    return Double.isInfinite(tightest) ? OptionalDouble.empty() : OptionalDouble.of(tightest);
  }

  /** v2 {@code cpu.max}: "$MAX $PERIOD", MAX being "max" when unlimited. */
  static OptionalDouble parseCpuMax(String text) {
    String[] f = text.strip().split("\\s+");
    if (f[0].isEmpty() || f[0].equals("max")) {
      return OptionalDouble.empty();
    }
    try {
      double max = Double.parseDouble(f[0]);
      double period = f.length > 1 ? Double.parseDouble(f[1]) : 100_000;
      return max > 0 && period > 0 ? OptionalDouble.of(max / period) : OptionalDouble.empty();
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }

  /** v1: quota -1 is unlimited. */
  static OptionalDouble parseCfs(String quotaText, String periodText) {
    try {
      long quota = Long.parseLong(quotaText.strip());
      long period = Long.parseLong(periodText.strip());
      return quota > 0 && period > 0 ? OptionalDouble.of((double) quota / period) : OptionalDouble.empty();
    } catch (NumberFormatException e) {
      return OptionalDouble.empty();
    }
  }

  /**
   * The cgroup's directory under a hierarchy's mount and each parent up to the mount: a limit set on a
   * parent binds the children too. Inside a container with its own cgroup namespace the path is "/" and
   * this is just the mount.
   */
  private static List<Path> ancestors(Path base, String cgroupPath) {
    List<Path> dirs = new ArrayList<>();
    Path rel = Path.of(cgroupPath.startsWith("/") ? cgroupPath.substring(1) : cgroupPath).normalize();
    if (rel.startsWith("..")) {
      rel = Path.of("");
    }
    for (Path p = rel; p != null && !p.toString().isEmpty(); p = p.getParent()) {
      dirs.add(base.resolve(p));
    }
    dirs.add(base);
    return dirs;
  }

  private static Optional<String> read(Path file) {
    try {
      return Optional.of(Files.readString(file));
    } catch (IOException | SecurityException e) {
      return Optional.empty();
    }
  }
}
