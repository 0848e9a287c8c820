package io.modelgate.packager.registry;

import io.modelgate.packager.image.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AuthFileTest {

    @Test
    void saves_credentials_in_docker_shape_readable_by_the_owner_only(@TempDir Path home) throws Exception {
        AuthFile file = new AuthFile(home.resolve("auth.json"), home.resolve("none.json"), Map.of());

        file.save("localhost:5000", Credentials.of("alice", "s3cret:with colon"));
        file.save("ghcr.io", Credentials.of("bob", "token"));

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.path()))).isEqualTo("rw-------");
        var root = Json.mapper().readTree(file.path().toFile());
        assertThat(root.path("auths").path("localhost:5000").path("auth").asText()).isEqualTo("YWxpY2U6czNjcmV0OndpdGggY29sb24=");
        assertThat(file.find("localhost:5000")).contains(Credentials.of("alice", "s3cret:with colon"));
        assertThat(file.find("ghcr.io")).contains(Credentials.of("bob", "token"));
        assertThat(file.find("quay.io")).isEmpty();
    }

    @Test
    void falls_back_to_the_docker_config_and_its_names_for_docker_hub(@TempDir Path home) throws Exception {
        Path docker = home.resolve("docker-config.json");
        Files.writeString(docker, "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"" + Credentials.of("hub", "pw").authField()
                + "\"},\"https://registry.example:8443\":{\"username\":\"u\",\"password\":\"p\"}},\"credsStore\":\"desktop\"}");
        AuthFile file = new AuthFile(home.resolve("auth.json"), docker, Map.of());

        assertThat(file.find("docker.io")).contains(Credentials.of("hub", "pw"));
        assertThat(file.find("registry.example:8443")).contains(Credentials.of("u", "p"));
    }

    @Test
    void prefers_its_own_file_to_docker_and_the_environment_to_both(@TempDir Path home) throws Exception {
        Path docker = home.resolve("docker-config.json");
        Files.writeString(docker, "{\"auths\":{\"r.example\":{\"auth\":\"" + Credentials.of("docker", "pw").authField() + "\"}}}");
        new AuthFile(home.resolve("auth.json"), null, Map.of()).save("r.example", Credentials.of("own", "pw"));

        assertThat(new AuthFile(home.resolve("auth.json"), docker, Map.of()).find("r.example")).contains(Credentials.of("own", "pw"));
        assertThat(new AuthFile(home.resolve("auth.json"), docker,
                Map.of(AuthFile.ENV_USER, "ci", AuthFile.ENV_PASSWORD, "from-env")).find("r.example"))
                .contains(Credentials.of("ci", "from-env"));
    }

    @Test
    void never_shows_the_password_in_text() {
        assertThat(Credentials.of("alice", "hunter2").toString()).doesNotContain("hunter2").contains("alice");
    }
}
