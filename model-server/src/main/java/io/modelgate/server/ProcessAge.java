package io.modelgate.server;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * How long ago this process started, to report the time to ready as a scale-from-zero sees it (JVM start
 * included). From /proc: the process's start in clock ticks since boot ({@code /proc/self/stat} field 22)
 * against the time since boot ({@code /proc/uptime}), both to 10 ms. Not ProcessHandle's startInstant,
 * which adds the boot time in whole seconds and is up to a second off.
 */
final class ProcessAge {
  /** USER_HZ, fixed at 100 by the Linux ABI on the architectures ONNX Runtime ships for. */
  private static final int TICKS_PER_SECOND = 100;

  private ProcessAge() {
  }

  static OptionalLong millis() {
    try {
      return millis(Files.readString(Path.of("/proc/self/stat")), Files.readString(Path.of("/proc/uptime")));
    } catch (IOException | SecurityException e) {
      return OptionalLong.empty();
    }
  }

  static OptionalLong millis(String procSelfStat, String procUptime) {
    try {
      // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
      String[] f = procSelfStat.substring(procSelfStat.lastIndexOf(')') + 2).split(" ");
      long startTicks = Long.parseLong(f[22 - 3]);
      double uptimeSeconds = Double.parseDouble(procUptime.strip().split("\\s+")[0]);
      long age = Math.round(uptimeSeconds * 1000) - startTicks * 1000 / TICKS_PER_SECOND;
      return age >= 0 ? OptionalLong.of(age) : OptionalLong.empty();
    } catch (RuntimeException e) {
      return OptionalLong.empty();
    }
  }
}
