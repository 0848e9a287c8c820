package io.modelgate.runtime.cgroup;

import java.util.ArrayList;
import java.util.List;

/**
 * Which control file gets which value for a set of {@link Limits}, in the order they must be written: the
 * "which file" side of applying limits, kept apart from the writing so that it is tested on text.
 */
final class LimitWrites {
    /** v1 reads this (PAGE_COUNTER_MAX pages) back for "no limit"; anything this large is unlimited. */
    static final long V1_UNLIMITED_MEMORY = 1L << 62;

    /** One write: {@code value} to {@code file} in the cgroup's directory of {@code controller}'s hierarchy. */
    record Write(String controller, String file, String value) {
    }

    private LimitWrites() {
    }

    static List<Write> v1(Limits limits) {
        List<Write> writes = new ArrayList<>();
        writes.add(new Write("memory", "memory.limit_in_bytes",
                limits.memoryBytes().isPresent() ? Long.toString(limits.memoryBytes().getAsLong()) : "-1"));
        // the period goes first: the quota is checked against the period in force when it is written
        if (limits.cpus().isPresent()) {
            CpuQuota quota = CpuQuota.of(limits.cpus().getAsDouble());
            writes.add(new Write("cpu", "cpu.cfs_period_us", Long.toString(quota.periodMicros())));
            writes.add(new Write("cpu", "cpu.cfs_quota_us", Long.toString(quota.quotaMicros())));
        } else {
            writes.add(new Write("cpu", "cpu.cfs_quota_us", "-1"));
        }
        writes.add(new Write("pids", "pids.max", pidsMax(limits)));
        // deny everything, then allow the list: devices.allow adds to what devices.deny "a" left (nothing)
        writes.add(new Write("devices", "devices.deny", "a"));
        for (DeviceRule rule : limits.devices()) {
            writes.add(new Write("devices", "devices.allow", rule.toString()));
        }
        return writes;
    }

    /** cgroup v2 has no device files: the device allow-list is an eBPF program ({@link DeviceFilter}). */
    static List<Write> v2(Limits limits) {
        return List.of(
                new Write("memory", "memory.max",
                        limits.memoryBytes().isPresent() ? Long.toString(limits.memoryBytes().getAsLong()) : "max"),
                new Write("cpu", "cpu.max", limits.cpus().isPresent()
                        ? CpuQuota.of(limits.cpus().getAsDouble()).cpuMax()
                        : "max " + CpuQuota.DEFAULT_PERIOD_MICROS),
                new Write("pids", "pids.max", pidsMax(limits)));
    }

    private static String pidsMax(Limits limits) {
        return limits.pidsMax().isPresent() ? Long.toString(limits.pidsMax().getAsLong()) : "max";
    }
}
