package io.modelgate.runtime.net;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SubnetTest {
    @Test
    void hands_out_addresses_after_the_gateway() {
        Subnet s = Subnet.parse("10.89.0.0/16");
        assertThat(s.gateway()).isEqualTo("10.89.0.1");
        assertThat(s.host(0)).isEqualTo("10.89.0.2");
        assertThat(s.host(254)).isEqualTo("10.89.1.0");
        assertThat(s.capacity()).isEqualTo(65533);
    }

    @Test
    void refuses_addresses_outside_the_subnet() {
        Subnet s = Subnet.parse("192.168.7.0/30");
        assertThat(s.capacity()).isEqualTo(1);
        assertThat(s.host(0)).isEqualTo("192.168.7.2");
        assertThatThrownBy(() -> s.host(1)).hasMessageContaining("outside 192.168.7.0/30");
    }

    @Test
    void names_the_problem_when_a_subnet_is_malformed() {
        assertThatThrownBy(() -> Subnet.parse("10.89.0.0")).hasMessageContaining("needs a prefix length");
        assertThatThrownBy(() -> Subnet.parse("10.89.0.1/16")).hasMessageContaining("host bits set").hasMessageContaining("10.89.0.0/16");
        assertThatThrownBy(() -> Subnet.parse("10.300.0.0/16")).hasMessageContaining("not a.b.c.d/prefix");
        assertThatThrownBy(() -> Subnet.parse("10.0.0.0/31")).hasMessageContaining("out of range");
    }

    @Test
    void keeps_interface_names_within_15_bytes() {
        String name = BridgeNetwork.vethName("mg", "a-very-long-container-name-that-goes-on");
        assertThat(name).hasSize(12).startsWith("mg");
        assertThat(BridgeNetwork.vethName("mg", "a")).isNotEqualTo(BridgeNetwork.vethName("mg", "b"));
    }
}
