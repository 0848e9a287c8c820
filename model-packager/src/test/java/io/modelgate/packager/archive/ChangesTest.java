package io.modelgate.packager.archive;

import io.modelgate.packager.image.ImageConfig.RuntimeConfig;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChangesTest {
    private static RuntimeConfig apply(String... changes) {
        return Changes.apply(RuntimeConfig.empty(), List.of(changes));
    }

    @Test
    void cmd_and_entrypoint_take_the_exec_form_as_is() {
        RuntimeConfig c = apply("CMD [\"serve\", \"--port\", \"8080\"]", "ENTRYPOINT [\"/usr/bin/server\"]");

        assertThat(c.cmd()).containsExactly("serve", "--port", "8080");
        assertThat(c.entrypoint()).containsExactly("/usr/bin/server");
    }

    @Test
    void shell_form_runs_under_bin_sh() {
        assertThat(apply("CMD echo \"hello world\" && sleep 1").cmd())
                .containsExactly("/bin/sh", "-c", "echo \"hello world\" && sleep 1");
        assertThat(apply("entrypoint exec server").entrypoint()).containsExactly("/bin/sh", "-c", "exec server");
    }

    @Test
    void an_array_that_is_not_json_strings_falls_back_to_the_shell_form_as_docker_does() {
        assertThat(apply("CMD [not json]").cmd()).containsExactly("/bin/sh", "-c", "[not json]");
        assertThat(apply("CMD [\"a\", 1]").cmd()).containsExactly("/bin/sh", "-c", "[\"a\", 1]");
    }

    @Test
    void env_takes_pairs_with_quotes_and_replaces_earlier_values() {
        RuntimeConfig c = apply("ENV A=1 B=\"two words\" C='$literal' D=back\\ slash", "ENV A=3", "ENV OLD legacy form value");

        assertThat(c.env()).containsExactly("B=two words", "C=$literal", "D=back slash", "A=3", "OLD=legacy form value");
    }

    @Test
    void label_takes_pairs() {
        assertThat(apply("LABEL a=1 \"b.c\"=\"x y\"").labels()).isEqualTo(Map.of("a", "1", "b.c", "x y"));
    }

    @Test
    void expose_defaults_to_tcp_and_expands_ranges() {
        assertThat(apply("EXPOSE 80 53/udp 9000-9002/TCP").exposedPorts())
                .containsOnlyKeys("80/tcp", "53/udp", "9000/tcp", "9001/tcp", "9002/tcp");
    }

    @Test
    void relative_workdir_continues_from_the_previous_one() {
        assertThat(apply("WORKDIR /srv", "WORKDIR app/../model").workingDir()).isEqualTo("/srv/model");
        assertThat(apply("WORKDIR data").workingDir()).isEqualTo("/data");
    }

    @Test
    void user_volume_and_stopsignal_are_set() {
        RuntimeConfig c = apply("USER nobody:nogroup", "VOLUME [\"/data\", \"/cache\"]", "VOLUME /models", "STOPSIGNAL SIGINT");

        assertThat(c.user()).isEqualTo("nobody:nogroup");
        assertThat(c.volumes()).containsOnlyKeys("/data", "/cache", "/models");
        assertThat(c.stopSignal()).isEqualTo("SIGINT");
    }

    @Test
    void unknown_instructions_and_bad_arguments_are_refused_with_the_reason() {
        assertThatThrownBy(() -> apply("RUN apt-get install x")).hasMessageContaining("unsupported --change instruction 'RUN'")
                .hasMessageContaining("CMD, ENTRYPOINT, ENV");
        assertThatThrownBy(() -> apply("CMD")).hasMessageContaining("CMD needs an argument");
        assertThatThrownBy(() -> apply("EXPOSE http")).hasMessageContaining("invalid port 'http'");
        assertThatThrownBy(() -> apply("EXPOSE 70000")).hasMessageContaining("out of range");
        assertThatThrownBy(() -> apply("ENV A=1 B")).hasMessageContaining("'B' is not KEY=VALUE");
        assertThatThrownBy(() -> apply("LABEL a=\"open")).hasMessageContaining("unterminated");
    }
}
