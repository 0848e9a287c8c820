package io.modelgate.runtime.cgroup;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * The resource limits of one container's cgroup. An empty optional means "not limited". Devices are an
 * allow-list: {@link #of} starts from {@link DeviceRule#CONTAINER_DEFAULTS}; {@link DeviceRule#ALL} lifts the
 * restriction. Cgroup v2 has no device files: there the list is enforced by an eBPF program (see {@link Cgroups}).
 *
 * @param memoryBytes the most memory (RSS + page cache) the container may use before the kernel OOM-kills
 * @param cpus        CPU time as a number of CPUs (0.5 = half of one CPU), enforced as a CFS quota per period
 * @param pidsMax     the most processes and threads the container may hold at once
 * @param devices     the devices the container may use
 */
public record Limits(OptionalLong memoryBytes, OptionalDouble cpus, OptionalLong pidsMax, List<DeviceRule> devices) {

    /** Docker's minimum: below this a container is OOM-killed while it starts (a shell alone charges ~1 MiB). */
    public static final long MIN_MEMORY_BYTES = 6L * 1024 * 1024;
    /** The kernel's CFS quota must be at least 1 ms; at the 100 ms period that is 0.01 CPUs (Docker's minimum too). */
    public static final double MIN_CPUS = 0.01;

    public Limits {
        memoryBytes.ifPresent(bytes -> {
            if (bytes < MIN_MEMORY_BYTES) {
                throw new IllegalArgumentException("memory limit " + bytes + " bytes is below the minimum of "
                        + MIN_MEMORY_BYTES + " bytes (6 MiB, as Docker requires): the container would be OOM-killed "
                        + "as it starts; give at least 6 MiB");
            }
        });
        cpus.ifPresent(value -> {
            if (!(value >= MIN_CPUS) || Double.isInfinite(value)) {
                throw new IllegalArgumentException("cpu limit " + value + " is not a number of CPUs of at least "
                        + MIN_CPUS + " (the kernel's smallest quota, 1 ms per 100 ms period); leave it empty for no limit");
            }
        });
        pidsMax.ifPresent(max -> {
            if (max < 1) {
                throw new IllegalArgumentException("pids limit " + max + " is below 1: the container's own first "
                        + "process counts; leave it empty for no limit");
            }
        });
        devices = List.copyOf(devices);
    }

    /** Memory, CPU and process limits, with the device access every container needs and nothing more. */
    public static Limits of(long memoryBytes, double cpus, long pidsMax) {
        return new Limits(OptionalLong.of(memoryBytes), OptionalDouble.of(cpus), OptionalLong.of(pidsMax),
                DeviceRule.CONTAINER_DEFAULTS);
    }

    /** Nothing limited, every device allowed. */
    public static Limits unlimited() {
        return new Limits(OptionalLong.empty(), OptionalDouble.empty(), OptionalLong.empty(), List.of(DeviceRule.ALL));
    }

    public Limits withMemoryBytes(long bytes) {
        return new Limits(OptionalLong.of(bytes), cpus, pidsMax, devices);
    }

    public Limits withCpus(double value) {
        return new Limits(memoryBytes, OptionalDouble.of(value), pidsMax, devices);
    }

    public Limits withPidsMax(long max) {
        return new Limits(memoryBytes, cpus, OptionalLong.of(max), devices);
    }

    public Limits withDevices(List<DeviceRule> rules) {
        return new Limits(memoryBytes, cpus, pidsMax, rules);
    }

    /** These limits with more devices allowed, e.g. a GPU's {@code c 195:0 rwm}. */
    public Limits allowingDevices(List<DeviceRule> more) {
        List<DeviceRule> all = new ArrayList<>(devices);
        more.stream().filter(rule -> !all.contains(rule)).forEach(all::add);
        return withDevices(all);
    }

    /** Whether {@link #devices} restricts anything: false when it holds {@link DeviceRule#ALL}. */
    public boolean restrictsDevices() {
        return !devices.contains(DeviceRule.ALL);
    }
}
