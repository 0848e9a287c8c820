package io.modelgate.runtime.cgroup;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeviceRuleTest {

    @Test
    void round_trips_the_kernel_form_when_parsing_devices_list_lines() {
        assertThat(DeviceRule.parse("c 195:* rwm")).isEqualTo(DeviceRule.charDevice(195, DeviceRule.ANY, "rwm"));
        assertThat(DeviceRule.parse("c 195:* rwm").toString()).isEqualTo("c 195:* rwm");
        assertThat(DeviceRule.parse("b *:* m").toString()).isEqualTo("b *:* m");
        assertThat(DeviceRule.parse("a *:* rwm")).isEqualTo(DeviceRule.ALL);
        assertThat(DeviceRule.parse("a")).isEqualTo(DeviceRule.ALL);
    }

    @Test
    void rejects_with_the_expected_form_when_the_text_is_not_a_rule() {
        assertThatThrownBy(() -> DeviceRule.parse("c 195 rwm")).hasMessageContaining("is not of the form 'c 195:* rwm'");
        assertThatThrownBy(() -> DeviceRule.parse("x 1:3 r")).hasMessageContaining("is not of the form");
        assertThatThrownBy(() -> DeviceRule.charDevice(1, 3, "")).hasMessageContaining("non-empty combination of r, w and m");
        assertThatThrownBy(() -> new DeviceRule('a', 1, 3, "rwm")).hasMessageContaining("cannot name a device number");
        assertThatThrownBy(() -> DeviceRule.charDevice(1, 3, "rr")).hasMessageContaining("each at most once");
    }

    @Test
    void takes_access_letters_in_any_order_and_lists_them_as_the_kernel_does() {
        assertThat(DeviceRule.parse("c 1:3 mrw")).isEqualTo(DeviceRule.parse("c 1:3 rwm"));
        assertThat(DeviceRule.parse("b 8:* mr").toString()).isEqualTo("b 8:* rm");
    }

    @Test
    void refuses_a_rule_for_all_devices_with_less_than_every_access() {
        // the v1 controller would read "a *:* r" as every access to every device, and a v2 program as read-only
        assertThatThrownBy(() -> DeviceRule.parse("a *:* r")).hasMessageContaining("allows every access");
    }

    @Test
    void allow_the_nodes_of_a_container_dev_when_using_the_defaults() {
        assertThat(DeviceRule.CONTAINER_DEFAULTS).extracting(DeviceRule::toString).containsExactly(
                "c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
                "c 5:0 rwm", "c 5:2 rwm", "c 136:* rwm");
    }
}
