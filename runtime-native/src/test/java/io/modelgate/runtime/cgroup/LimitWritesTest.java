package io.modelgate.runtime.cgroup;

import io.modelgate.runtime.cgroup.LimitWrites.Write;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LimitWritesTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void writes_period_before_quota_and_denies_all_devices_before_allowing_when_v1() {
        Limits limits = Limits.of(64 * MIB, 0.5, 20).withDevices(List.of(DeviceRule.parse("c 1:3 rwm"), DeviceRule.parse("c 195:* rwm")));

        assertThat(LimitWrites.v1(limits)).containsExactly(
                new Write("memory", "memory.limit_in_bytes", "67108864"),
                new Write("cpu", "cpu.cfs_period_us", "100000"),
                new Write("cpu", "cpu.cfs_quota_us", "50000"),
                new Write("pids", "pids.max", "20"),
                new Write("devices", "devices.deny", "a"),
                new Write("devices", "devices.allow", "c 1:3 rwm"),
                new Write("devices", "devices.allow", "c 195:* rwm"));
    }

    @Test
    void writes_minus_one_and_max_and_allows_all_devices_when_v1_is_unlimited() {
        assertThat(LimitWrites.v1(Limits.unlimited())).containsExactly(
                new Write("memory", "memory.limit_in_bytes", "-1"),
                new Write("cpu", "cpu.cfs_quota_us", "-1"),
                new Write("pids", "pids.max", "max"),
                new Write("devices", "devices.deny", "a"),
                new Write("devices", "devices.allow", "a *:* rwm"));
    }

    @Test
    void writes_memory_max_cpu_max_and_pids_max_and_no_device_file_when_v2() {
        assertThat(LimitWrites.v2(Limits.of(64 * MIB, 1.5, 20))).containsExactly(
                new Write("memory", "memory.max", "67108864"),
                new Write("cpu", "cpu.max", "150000 100000"),
                new Write("pids", "pids.max", "20"));
        assertThat(LimitWrites.v2(Limits.unlimited())).containsExactly(
                new Write("memory", "memory.max", "max"),
                new Write("cpu", "cpu.max", "max 100000"),
                new Write("pids", "pids.max", "max"));
    }
}
