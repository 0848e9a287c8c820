package io.modelgate.runtime.cli;

import io.modelgate.runtime.process.NetworkMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RuntimeCommandsTest {
    @ParameterizedTest
    @CsvSource({"1024,1024", "64m,67108864", "1g,1073741824", "512k,524288", "2G,2147483648", "100b,100"})
    void reads_sizes_as_docker_does(String text, long bytes) {
        assertThat(RuntimeCommands.parseSize(text)).isEqualTo(bytes);
    }

    @Test
    void names_a_size_it_cannot_read() {
        assertThatThrownBy(() -> RuntimeCommands.parseSize("lots")).hasMessageContaining("size 'lots'");
        assertThatThrownBy(() -> RuntimeCommands.parseSize("1.5g")).hasMessageContaining("size '1.5g'");
    }

    @ParameterizedTest
    @CsvSource({"KILL,9", "SIGTERM,15", "term,15", "HUP,1", "10,10"})
    void reads_signals_by_name_or_number(String text, int number) {
        assertThat(RuntimeCommands.signalNumber(text)).isEqualTo(number);
    }

    @Test
    void refuses_unknown_signals_and_networks() {
        assertThatThrownBy(() -> RuntimeCommands.signalNumber("SIGFOO")).hasMessageContaining("unknown signal 'SIGFOO'");
        assertThatThrownBy(() -> RuntimeCommands.signalNumber("99")).hasMessageContaining("unknown signal '99'");
        assertThatThrownBy(() -> RuntimeCommands.parseNetwork("overlay")).hasMessageContaining("--network 'overlay'");
        assertThat(RuntimeCommands.parseNetwork("none")).isEqualTo(NetworkMode.NONE);
    }
}
