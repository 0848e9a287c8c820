package io.modelgate.runtime.cgroup;

import java.util.Map;
import java.util.OptionalLong;

/**
 * What the kernel accounted to one container's cgroup.
 *
 * @param memoryUsageBytes memory charged now (v2 memory.current, v1 memory.usage_in_bytes)
 * @param memoryPeakBytes  the most ever charged (v2 memory.peak, absent before Linux 5.19; v1 memory.max_usage_in_bytes)
 * @param memoryLimitHits  how often usage reached the limit, reclaimed or not (v2 memory.events max, v1 memory.failcnt)
 * @param oomKills         processes the OOM killer killed for this cgroup's limit (v2 memory.events oom_kill,
 *                         v1 memory.oom_control oom_kill); on v1 kernels before 4.13, which lack that counter,
 *                         1 while the cgroup is under OOM and 0 otherwise: pair it with {@code memoryLimitHits}
 *                         and the exit signal there
 * @param cpuUsageNanos    CPU time used (v2 cpu.stat usage_usec, v1 cpuacct.usage)
 * @param pidsCurrent      processes and threads now (pids.current)
 * @param pidsLimitHits    forks refused at pids.max (pids.events max)
 */
public record CgroupStats(long memoryUsageBytes, OptionalLong memoryPeakBytes, long memoryLimitHits, long oomKills,
                          long cpuUsageNanos, long pidsCurrent, long pidsLimitHits) {

    public CgroupStats {
        if (memoryUsageBytes < 0 || memoryLimitHits < 0 || oomKills < 0 || cpuUsageNanos < 0 || pidsCurrent < 0
                || pidsLimitHits < 0) {
            throw new IllegalArgumentException("cgroup counters cannot be negative: " + memoryUsageBytes + ", "
                    + memoryLimitHits + ", " + oomKills + ", " + cpuUsageNanos + ", " + pidsCurrent + ", " + pidsLimitHits);
        }
    }

    /** OOM kills from v1 memory.oom_control's text; {@code under_oom} stands in on kernels without {@code oom_kill}. */
    static long v1OomKills(String oomControl, String where) {
        Map<String, Long> values = CgroupFiles.keyed(oomControl, where);
        Long kills = values.get("oom_kill");
        if (kills != null) {
            return kills;
        }
        return values.getOrDefault("under_oom", 0L) > 0 ? 1 : 0;
    }

    /** A counter from a flat keyed file's text (memory.events, pids.events, cpu.stat); absent counts as 0. */
    static long counter(String keyedText, String key, String where) {
        return CgroupFiles.keyed(keyedText, where).getOrDefault(key, 0L);
    }
}
