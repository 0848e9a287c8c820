package io.modelgate.gateway.auth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TokenFileTest {
    @TempDir
    Path home;

    @Test
    void generates_once_with_mode_0600_and_shows_it_only_then() throws IOException {
        List<String> shown = new ArrayList<>();
        String first = TokenFile.loadOrCreate(home, shown::add);
        String again = TokenFile.loadOrCreate(home, shown::add);
        assertThat(first).hasSizeGreaterThanOrEqualTo(40).isEqualTo(again);
        assertThat(shown).containsExactly(first);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve("token"))))
                .isEqualTo("rw-------");
    }

    @Test
    void refuses_a_token_file_others_can_read() throws IOException {
        TokenFile.loadOrCreate(home, t -> { });
        Files.setPosixFilePermissions(home.resolve("token"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> TokenFile.loadOrCreate(home, t -> { })).hasMessageContaining("readable by others")
                .hasMessageContaining("chmod 600");
    }
}
