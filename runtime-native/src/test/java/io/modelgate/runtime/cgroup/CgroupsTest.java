package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CgroupsTest {

    @Test
    void picks_the_v1_backend_when_the_layout_is_hybrid_or_v1() {
        assertThat(Cgroups.of(Fixtures.layout("hybrid"), "modelgate")).isInstanceOf(CgroupsV1.class);
        assertThat(Cgroups.of(Fixtures.layout("hybrid-systemd"), "modelgate")).isInstanceOf(CgroupsV1.class);
        assertThat(Cgroups.of(Fixtures.layout("v1"), "modelgate")).isInstanceOf(CgroupsV1.class);
    }

    @Test
    void picks_the_v2_backend_when_the_layout_is_v2() {
        assertThat(Cgroups.of(Fixtures.layout("v2"), "modelgate")).isInstanceOf(CgroupsV2.class);
    }

    @Test
    void accepts_a_nested_parent_and_rejects_one_that_climbs_out() {
        assertThat(Cgroups.of(Fixtures.layout("v2"), "modelgate/replicas").parent()).isEqualTo("modelgate/replicas");
        assertThatThrownBy(() -> Cgroups.of(Fixtures.layout("v2"), "modelgate/../etc"))
                .hasMessageContaining("cgroup parent 'modelgate/../etc' must be a relative path of names");
        assertThatThrownBy(() -> Cgroups.of(Fixtures.layout("v2"), "")).hasMessageContaining("must not be empty");
    }
}
