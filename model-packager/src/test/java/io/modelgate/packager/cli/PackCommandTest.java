package io.modelgate.packager.cli;

import io.modelgate.packager.testing.Cli;
import io.modelgate.packager.testing.Cli.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class PackCommandTest {
    @TempDir
    Path tmp;

    private Run cli(String... args) {
        return Cli.run(args);
    }

    private Path model(String yaml) throws IOException {
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model.yaml"), yaml);
        Files.writeString(dir.resolve("serve.sh"), "#!/bin/sh\nexec httpd -f -p $PORT\n");
        return dir;
    }

    @Test
    void prints_progress_to_stderr_and_the_digest_last_when_packing() throws IOException {
        Path dir = model("name: hello\nversion: '1'\nserver: {type: command, command: [/bin/sh, serve.sh]}\n");
        Run run = cli("--home", tmp.resolve("home").toString(), "pack", dir.toString());
        assertThat(run.status()).isZero();
        assertThat(run.lastLine()).matches("sha256:[a-f0-9]{64}");
        assertThat(run.err()).contains("Packing model as hello:1").contains("user code").contains("Packed hello:1");

        Run images = cli("--home", tmp.resolve("home").toString(), "images");
        assertThat(images.out()).contains("hello").contains(run.lastLine().substring(7, 19));
        Run inspect = cli("--home", tmp.resolve("home").toString(), "inspect", "hello:1");
        assertThat(inspect.out()).contains("\"Entrypoint\" : [ \"/bin/sh\", \"serve.sh\" ]").contains(run.lastLine());
    }

    @Test
    void tags_as_asked_with_t() throws IOException {
        Path dir = model("name: hello\nserver: {type: command, command: [/bin/sh, serve.sh]}\n");
        Run run = cli("--home", tmp.resolve("home").toString(), "pack", "-t", "localhost:5000/team/hello:2", "-q", dir.toString());
        assertThat(run.status()).isZero();
        assertThat(run.out().strip()).matches("sha256:[a-f0-9]{64}");
        assertThat(cli("--home", tmp.resolve("home").toString(), "images").out()).contains("localhost:5000/team/hello");
    }

    @Test
    void exits_1_naming_file_line_and_key_when_model_yaml_is_wrong() throws IOException {
        Path dir = model("name: hello\nserver:\n  type: command\n  command: [x]\n  port: 99999\n");
        Run run = cli("--home", tmp.resolve("home").toString(), "pack", dir.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("modelgate: error: " + dir.resolve("model.yaml") + ":5: 'server.port' 99999 is out of range");
        assertThat(cli("--home", tmp.resolve("home").toString(), "images", "-q").out()).isBlank();
    }

    @Test
    void exits_1_when_the_directory_does_not_exist() {
        Run run = cli("--home", tmp.resolve("home").toString(), "pack", tmp.resolve("nope").toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("nope").contains("model directory");
    }

    @Test
    void refuses_an_unknown_compression() throws IOException {
        Path dir = model("name: hello\nserver: {type: command, command: [x]}\n");
        Run run = cli("--home", tmp.resolve("home").toString(), "pack", "--compression", "lz4", dir.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).contains("unknown compression 'lz4'");
    }
}
