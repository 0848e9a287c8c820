package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LimitsTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void limits_memory_cpu_and_pids_with_the_container_device_defaults_when_made_with_of() {
        Limits limits = Limits.of(64 * MIB, 0.5, 20);

        assertThat(limits.memoryBytes()).isEqualTo(OptionalLong.of(64 * MIB));
        assertThat(limits.cpus()).isEqualTo(OptionalDouble.of(0.5));
        assertThat(limits.pidsMax()).isEqualTo(OptionalLong.of(20));
        assertThat(limits.devices()).isEqualTo(DeviceRule.CONTAINER_DEFAULTS);
        assertThat(limits.restrictsDevices()).isTrue();
    }

    @Test
    void refuses_naming_the_value_and_the_6_mib_minimum_when_memory_is_too_small() {
        assertThatThrownBy(() -> Limits.of(4096, 1, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("memory limit 4096 bytes is below the minimum of 6291456 bytes (6 MiB, as Docker requires): "
                        + "the container would be OOM-killed as it starts; give at least 6 MiB");
        assertThat(Limits.of(6 * MIB, 1, 10).memoryBytes()).hasValue(6 * MIB);
    }

    @Test
    void refuses_cpus_that_are_not_positive_or_below_the_kernel_minimum_quota() {
        assertThatThrownBy(() -> Limits.of(64 * MIB, 0, 10)).hasMessageContaining("cpu limit 0.0 is not a number of CPUs of at least 0.01");
        assertThatThrownBy(() -> Limits.of(64 * MIB, -1, 10)).hasMessageContaining("cpu limit -1.0");
        assertThatThrownBy(() -> Limits.of(64 * MIB, 0.001, 10)).hasMessageContaining("1 ms per 100 ms period");
        assertThatThrownBy(() -> Limits.of(64 * MIB, Double.NaN, 10)).hasMessageContaining("cpu limit NaN");
        assertThatThrownBy(() -> Limits.of(64 * MIB, Double.POSITIVE_INFINITY, 10)).hasMessageContaining("cpu limit Infinity");
    }

    @Test
    void refuses_a_pids_limit_below_one_and_accepts_no_limit_when_empty() {
        assertThatThrownBy(() -> Limits.of(64 * MIB, 1, 0))
                .hasMessage("pids limit 0 is below 1: the container's own first process counts; leave it empty for no limit");
        assertThat(Limits.unlimited().pidsMax()).isEmpty();
        assertThat(Limits.unlimited().restrictsDevices()).isFalse();
    }

    @Test
    void adds_gpu_devices_once_when_allowing_more_devices() {
        DeviceRule nvidia0 = DeviceRule.parse("c 195:0 rwm");
        Limits limits = Limits.of(64 * MIB, 1, 10).allowingDevices(List.of(nvidia0, nvidia0));

        assertThat(limits.devices()).endsWith(nvidia0).hasSize(DeviceRule.CONTAINER_DEFAULTS.size() + 1);
    }

    @Test
    void turns_fractional_cpus_into_quota_and_period_when_formatting_cpu_max() {
        assertThat(CpuQuota.of(0.5).cpuMax()).isEqualTo("50000 100000");
        assertThat(CpuQuota.of(1.5).cpuMax()).isEqualTo("150000 100000");
        assertThat(CpuQuota.of(0.01).cpuMax()).isEqualTo("1000 100000");
        assertThat(CpuQuota.of(0.3).cpus()).isEqualTo(0.3);
        assertThatThrownBy(() -> new CpuQuota(999, 100_000)).hasMessageContaining("below the kernel's minimum of 1000 us");
    }
}
