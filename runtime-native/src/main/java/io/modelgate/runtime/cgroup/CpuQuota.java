package io.modelgate.runtime.cgroup;

/**
 * A CFS bandwidth limit: {@code quota} microseconds of CPU time per {@code period} microseconds, the pair that v2
 * writes to cpu.max ("50000 100000") and v1 to cpu.cfs_quota_us and cpu.cfs_period_us.
 */
record CpuQuota(long quotaMicros, long periodMicros) {
    /** The period Docker and the kernel default to: 100 ms. */
    static final long DEFAULT_PERIOD_MICROS = 100_000;

    CpuQuota {
        // kernel bounds (kernel/sched/core.c): period 1 ms .. 1 s, quota at least 1 ms
        if (periodMicros < 1_000 || periodMicros > 1_000_000) {
            throw new IllegalArgumentException("cpu period " + periodMicros + " us is outside the kernel's 1000..1000000 us");
        }
        if (quotaMicros < 1_000) {
            throw new IllegalArgumentException("cpu quota " + quotaMicros + " us is below the kernel's minimum of 1000 us");
        }
    }

    /** 0.5 CPUs → 50000 us per 100000 us. */
    static CpuQuota of(double cpus) {
        return new CpuQuota(Math.round(cpus * DEFAULT_PERIOD_MICROS), DEFAULT_PERIOD_MICROS);
    }

    double cpus() {
        return (double) quotaMicros / periodMicros;
    }

    /** The v2 cpu.max form. */
    String cpuMax() {
        return quotaMicros + " " + periodMicros;
    }
}
