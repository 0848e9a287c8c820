package io.modelgate.runtime.container;

import io.modelgate.runtime.process.NetworkMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RunRequestTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "8081:8080           | 127.0.0.1 | 8081 | 8080",
            "0.0.0.0:9000:80     | 0.0.0.0   | 9000 | 80",
    })
    void parses_port_mappings(String text, String address, int host, int container) {
        assertThat(PortMapping.parse(text)).isEqualTo(new PortMapping(address, host, container));
    }

    @ParameterizedTest
    @ValueSource(strings = {"8080", "a:b", "1:2:3:4", "0:8080", "8080:70000", "localhost:1:2"})
    void refuses_malformed_port_mappings_naming_them(String text) {
        assertThatThrownBy(() -> PortMapping.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port")
                .satisfies(e -> assertThat(e.getMessage()).containsAnyOf(text, "out of range", "IPv4"));
    }

    @Test
    void tells_bind_mounts_from_named_volumes() {
        VolumeMount bind = VolumeMount.parse("/srv/data:/data:ro");
        assertThat(bind.isBind()).isTrue();
        assertThat(bind.readOnly()).isTrue();
        VolumeMount named = VolumeMount.parse("models:/models");
        assertThat(named.isBind()).isFalse();
        assertThat(named.readOnly()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/only-one-part", "a:b:c:d", "/x:relative", "/x:/y:rx", "bad name!:/y"})
    void refuses_malformed_volumes(String text) {
        assertThatThrownBy(() -> VolumeMount.parse(text)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("volume");
    }

    @Test
    void refuses_ports_without_the_bridge_network_and_bad_environment_entries() {
        assertThatThrownBy(() -> RunRequest.of("x").withNetwork(NetworkMode.HOST).withPorts(List.of(PortMapping.parse("1:2"))))
                .hasMessageContaining("needs the bridge network");
        assertThatThrownBy(() -> RunRequest.of("x").withEnv(List.of("NOVALUE")))
                .hasMessageContaining("'NOVALUE' must be KEY=VALUE");
        assertThatThrownBy(() -> RunRequest.of("x").withMemoryBytes(-1)).hasMessageContaining("negative");
    }

    @Test
    void defaults_to_the_bridge_network_and_no_limits() {
        RunRequest r = RunRequest.of("iris:1");
        assertThat(r.network()).isEqualTo(NetworkMode.BRIDGE);
        assertThat(r.memory()).isEmpty();
        assertThat(r.cpuLimit()).isEmpty();
        assertThat(r.command()).isEmpty();
        assertThat(r.entrypoint()).isNull();
    }
}
