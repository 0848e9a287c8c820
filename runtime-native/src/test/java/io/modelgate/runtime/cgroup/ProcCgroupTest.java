package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class ProcCgroupTest {

    @Test
    void maps_each_controller_and_the_unified_line_when_parsing_the_hybrid_sample() {
        assertThat(ProcCgroup.memberships(Fixtures.text("hybrid/cgroup"))).contains(
                entry("memory", "/process_api/f556a9fb924e31ba4f7d5cf2ba89bb25"),
                entry("pids", "/"),
                entry("name=systemd", "/"),
                entry(ProcCgroup.UNIFIED, "/"));
    }

    @Test
    void splits_co_mounted_controllers_when_a_line_names_several() {
        assertThat(ProcCgroup.memberships(Fixtures.text("v1/cgroup")))
                .contains(entry("cpu", "/user.slice"), entry("cpuacct", "/user.slice"))
                .doesNotContainKey(ProcCgroup.UNIFIED);
    }

    @Test
    void keeps_colons_in_the_path_when_a_cgroup_name_holds_them() {
        assertThat(ProcCgroup.memberships("0::/system.slice/a:b.service\n"))
                .containsExactly(entry(ProcCgroup.UNIFIED, "/system.slice/a:b.service"));
    }

    @Test
    void rejects_a_line_naming_its_number_when_it_lacks_fields() {
        assertThatThrownBy(() -> ProcCgroup.memberships("0::/\nmemory\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2 is malformed");
    }
}
