package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class BlobLocationsTest {
    private static final Digest BLOB = Digest.sha256(new byte[] {42});

    @Test
    void lists_other_repositories_of_the_same_registry_latest_first_across_processes(@TempDir Path home) throws Exception {
        Path file = home.resolve("blob-locations");
        BlobLocations first = new BlobLocations(file);
        first.remember(BLOB, "r:5000", "a/iris");
        first.remember(BLOB, "other:5000", "z/iris");
        first.remember(BLOB, "r:5000", "b/iris");
        first.remember(BLOB, "r:5000", "a/iris"); // already known: not written again

        BlobLocations later = new BlobLocations(file);

        assertThat(later.repositoriesWith(BLOB, "r:5000", "c/iris")).containsExactly("b/iris", "a/iris");
        assertThat(later.repositoriesWith(BLOB, "r:5000", "b/iris")).containsExactly("a/iris");
        assertThat(Files.readAllLines(file)).hasSize(3);
    }

    @Test
    void knows_nothing_and_writes_nothing_without_a_file() throws Exception {
        BlobLocations none = new BlobLocations(null);
        none.remember(BLOB, "r:5000", "a/iris");

        assertThat(none.repositoriesWith(BLOB, "r:5000", "b/iris")).isEmpty();
    }
}
