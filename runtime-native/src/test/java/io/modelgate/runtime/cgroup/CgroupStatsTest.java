package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CgroupStatsTest {

    @Test
    void counts_oom_kills_from_the_oom_kill_line_when_v1_has_it() {
        assertThat(CgroupStats.v1OomKills(Fixtures.text("stats/v1-memory.oom_control"), "memory.oom_control")).isEqualTo(1);
    }

    @Test
    void reports_one_while_under_oom_when_a_v1_kernel_before_4_13_lacks_the_counter() {
        assertThat(CgroupStats.v1OomKills(Fixtures.text("stats/v1-memory.oom_control-before-4.13"), "memory.oom_control")).isEqualTo(1);
        assertThat(CgroupStats.v1OomKills("oom_kill_disable 0\nunder_oom 0\n", "memory.oom_control")).isZero();
    }

    @Test
    void reads_oom_kills_and_limit_hits_from_v2_memory_events() {
        String events = Fixtures.text("stats/v2-memory.events");

        assertThat(CgroupStats.counter(events, "oom_kill", "memory.events")).isEqualTo(1);
        assertThat(CgroupStats.counter(events, "max", "memory.events")).isEqualTo(130);
    }

    @Test
    void reads_usage_and_fork_refusals_from_cpu_stat_and_pids_events() {
        assertThat(CgroupStats.counter(Fixtures.text("stats/v2-cpu.stat"), "usage_usec", "cpu.stat")).isEqualTo(1843211);
        assertThat(CgroupStats.counter(Fixtures.text("stats/v1-pids.events"), "max", "pids.events")).isEqualTo(1);
        assertThat(CgroupStats.counter("", "max", "pids.events")).isZero();
    }

    @Test
    void names_the_file_when_a_line_is_not_key_value() {
        assertThatThrownBy(() -> CgroupStats.counter("max\n", "max", "/sys/fs/cgroup/x/pids.events"))
                .isInstanceOf(CgroupException.class)
                .hasMessage("/sys/fs/cgroup/x/pids.events: expected 'key value' lines, found 'max'");
    }
}
