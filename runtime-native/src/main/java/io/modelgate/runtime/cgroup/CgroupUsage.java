package io.modelgate.runtime.cgroup;

import java.util.OptionalLong;

/**
 * What one container's cgroup has used, as a metrics scrape wants it: CPU time so far (a counter), memory charged
 * now (a gauge) and the memory limit it is held to. Read by {@link UsageReader}.
 *
 * @param cpuNanos         CPU time used since the cgroup was made (v2 cpu.stat usage_usec × 1000, v1 cpuacct.usage)
 * @param memoryBytes      memory charged now, page cache included (v2 memory.current, v1 memory.usage_in_bytes)
 * @param memoryLimitBytes the memory limit (v2 memory.max, v1 memory.limit_in_bytes); empty when unlimited
 */
public record CgroupUsage(long cpuNanos, long memoryBytes, OptionalLong memoryLimitBytes) {

    public CgroupUsage {
        if (cpuNanos < 0 || memoryBytes < 0) {
            throw new IllegalArgumentException("cgroup usage cannot be negative: cpu " + cpuNanos + " ns, memory "
                    + memoryBytes + " bytes");
        }
        memoryLimitBytes.ifPresent(limit -> {
            if (limit <= 0) {
                throw new IllegalArgumentException("a memory limit must be positive, got " + limit);
            }
        });
    }

    /** CPU time in seconds, the unit Prometheus counters use. */
    public double cpuSeconds() {
        return cpuNanos / 1e9;
    }
}
