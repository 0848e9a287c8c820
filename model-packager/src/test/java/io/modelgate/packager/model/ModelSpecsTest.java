package io.modelgate.packager.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelSpecsTest {
    private static final Path FILE = Path.of("iris/model.yaml");

    private static ModelSpec parse(String yaml) {
        return ModelSpecs.parse(FILE, yaml);
    }

    @Test
    void reads_all_keys_when_valid() {
        ModelSpec spec = parse("""
                name: iris
                version: "2"
                base: busybox:1.35
                server:
                  type: command
                  command: [python3, serve.py]
                  args: ["--workers", "2"]
                  port: 9000
                  health: /healthz
                env:
                  LOG_LEVEL: debug
                include: ["**"]
                exclude: ["*.tmp"]
                layers:
                  dependencies: ["vendor/**"]
                  server: ["server/**"]
                weights: ["*.onnx"]
                resources: {cpus: 0.5, memory: 512Mi, gpus: 1}
                labels: {team: ml}
                """);
        assertThat(spec.name()).isEqualTo("iris");
        assertThat(spec.version()).isEqualTo("2");
        assertThat(spec.server().command()).containsExactly("python3", "serve.py");
        assertThat(spec.server().args()).containsExactly("--workers", "2");
        assertThat(spec.server().port()).isEqualTo(9000);
        assertThat(spec.server().health()).isEqualTo("/healthz");
        assertThat(spec.env()).containsEntry("LOG_LEVEL", "debug");
        assertThat(spec.layers().dependencies()).containsExactly("vendor/**");
        assertThat(spec.resources().memoryBytes()).isEqualTo(512L << 20);
        assertThat(spec.resources().gpus()).isEqualTo(1);
        assertThat(spec.labels()).containsEntry("team", "ml");
    }

    @Test
    void fills_defaults_when_keys_are_missing() {
        ModelSpec spec = parse("name: iris\nserver: {type: command, command: [./run]}\n");
        assertThat(spec.version()).isEqualTo("latest");
        assertThat(spec.base()).isEqualTo("scratch");
        assertThat(spec.workdir()).isEqualTo("/model");
        assertThat(spec.server().port()).isEqualTo(8080);
        assertThat(spec.server().health()).isEqualTo("/v2/health/ready");
        assertThat(spec.weights()).isEqualTo(ModelSpec.DEFAULT_WEIGHTS);
    }

    @Test
    void runs_a_string_command_through_the_shell() {
        ModelSpec spec = parse("name: iris\nserver: {type: command, command: \"exec ./serve --port $PORT\"}\n");
        assertThat(spec.server().command()).containsExactly("/bin/sh", "-c", "exec ./serve --port $PORT");
    }

    @Test
    void names_file_line_and_key_when_a_key_is_unknown() {
        assertThatThrownBy(() -> parse("name: iris\nserver:\n  type: command\n  command: [x]\n  prot: 80\n"))
                .isInstanceOf(ModelSpecException.class)
                .hasMessageContaining("iris/model.yaml:5")
                .hasMessageContaining("'server.prot' is not a known key")
                .hasMessageContaining("port");
    }

    @Test
    void names_file_line_and_key_when_port_is_out_of_range() {
        assertThatThrownBy(() -> parse("name: iris\nserver:\n  type: command\n  command: [x]\n  port: 70000\n"))
                .isInstanceOf(ModelSpecException.class)
                .hasMessageContaining("iris/model.yaml:5")
                .hasMessageContaining("server.port")
                .hasMessageContaining("70000 is out of range");
    }

    @Test
    void names_the_key_when_a_type_is_wrong() {
        assertThatThrownBy(() -> parse("name: iris\nserver:\n  type: command\n  command: [x]\n  port: [1, 2]\n"))
                .isInstanceOf(ModelSpecException.class)
                .hasMessageContaining("iris/model.yaml:5")
                .hasMessageContaining("'server.port' has the wrong type");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "server: {type: command, command: [x]}                      | name",
            "name: Iris\\nserver: {type: command, command: [x]}        | name",
            "name: iris                                                 | server",
            "name: iris\\nserver: {type: docker, command: [x]}          | server.type",
            "name: iris\\nserver: {type: command}                       | server.command",
            "name: iris\\nserver: {type: command, command: [x], health: ready} | server.health",
            "name: iris\\nserver: {type: command, command: [x]}\\nresources: {memory: lots} | resources.memory",
            "name: iris\\nserver: {type: command, command: [x]}\\nenv: {1BAD: x}  | env.1BAD",
            "name: iris\\nversion: -1\\nserver: {type: command, command: [x]} | version",
    })
    void refuses_with_the_key_named_when_invalid(String yaml, String key) {
        assertThatThrownBy(() -> parse(yaml.replace("\\n", "\n")))
                .isInstanceOf(ModelSpecException.class)
                .hasMessageContaining("iris/model.yaml")
                .hasMessageContaining(key)
                .extracting(e -> ((ModelSpecException) e).key()).isEqualTo(key);
    }

    @Test
    void says_so_when_the_yaml_is_malformed() {
        assertThatThrownBy(() -> parse("name: iris: twice\nserver: x\n"))
                .isInstanceOf(ModelSpecException.class)
                .hasMessageContaining("iris/model.yaml:")
                .hasMessageContaining("not valid YAML");
    }

    @Test
    void says_so_when_the_file_is_missing() {
        assertThatThrownBy(() -> ModelSpecs.read(Path.of("does-not-exist")))
                .isInstanceOf(ModelSpecException.class)
                .hasMessageContaining("does-not-exist/model.yaml")
                .hasMessageContaining("not found");
    }
}
