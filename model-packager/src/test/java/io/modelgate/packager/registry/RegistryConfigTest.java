package io.modelgate.packager.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RegistryConfigTest {

    @Test
    void uses_https_and_default_chunking_without_a_config_file(@TempDir Path home) {
        RegistryConfig config = RegistryConfig.load(home);

        assertThat(config.transportFor("localhost:5000")).isEqualTo(Transport.HTTPS);
        assertThat(config.chunkedUploadThreshold()).isEqualTo(32L << 20);
    }

    @Test
    void uses_plain_http_for_listed_insecure_registries(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("config.json"), "{\"insecureRegistries\":[\"Localhost:5000\"],\"other\":{\"ignored\":true},"
                + "\"chunkedUploadThreshold\":1024,\"uploadChunkSize\":512}");

        RegistryConfig config = RegistryConfig.load(home);

        assertThat(config.transportFor("localhost:5000")).isEqualTo(Transport.PLAIN_HTTP);
        assertThat(config.transportFor("localhost:5001")).isEqualTo(Transport.HTTPS);
        assertThat(config.chunkedUploadThreshold()).isEqualTo(1024);
        assertThat(config.uploadChunkSize()).isEqualTo(512);
    }

    @Test
    void names_the_file_and_key_when_a_value_is_wrong() {
        assertThatThrownBy(() -> RegistryConfig.parse("{\"uploadChunkSize\":\"big\"}".getBytes(StandardCharsets.UTF_8), "/h/config.json"))
                .hasMessageContaining("/h/config.json").hasMessageContaining("uploadChunkSize");
        assertThatThrownBy(() -> RegistryConfig.parse("{\"insecureRegistries\":\"localhost\"}".getBytes(StandardCharsets.UTF_8), "c.json"))
                .hasMessageContaining("insecureRegistries must be a list");
    }
}
