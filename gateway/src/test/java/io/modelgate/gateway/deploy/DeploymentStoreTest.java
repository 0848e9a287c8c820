package io.modelgate.gateway.deploy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DeploymentStoreTest {
    @TempDir
    Path home;

    private static Deployment deployment(String name) {
        return new Deployment(new DeploymentSpec(name, "iris:1", 0, 2, 4, DeploymentSpec.Resources.NONE,
                new TreeMap<>(), DeploymentSpec.Autoscaling.DEFAULT, java.util.Optional.empty()), Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Test
    void keeps_deployments_across_reopening() throws IOException {
        DeploymentStore store = DeploymentStore.open(home);
        store.create(deployment("b"));
        store.create(deployment("a"));
        assertThat(home.resolve("deployments/a.json")).exists();

        DeploymentStore reopened = DeploymentStore.open(home);
        assertThat(reopened.list()).extracting(Deployment::name).containsExactly("a", "b");
        assertThat(reopened.get("a")).contains(deployment("a"));
        assertThat(reopened.get("missing")).isEmpty();
        assertThat(reopened.get("../escape")).isEmpty();
    }

    @Test
    void refuses_a_name_that_is_taken() throws IOException {
        DeploymentStore store = DeploymentStore.open(home);
        store.create(deployment("iris"));
        assertThatThrownBy(() -> store.create(deployment("iris")))
                .isInstanceOf(DeploymentStore.AlreadyDeployedException.class)
                .hasMessageContaining("model 'iris' is already deployed");
    }

    @Test
    void deletes_and_leaves_no_temp_files() throws IOException {
        DeploymentStore store = DeploymentStore.open(home);
        store.create(deployment("iris"));
        assertThat(store.delete("iris")).isTrue();
        assertThat(store.delete("iris")).isFalse();
        try (var files = Files.list(home.resolve("deployments"))) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void removes_what_a_crash_mid_write_left_behind() throws IOException {
        Path dir = Files.createDirectories(home.resolve("deployments"));
        Files.writeString(dir.resolve(".tmp-1234.json"), "{\"name\":\"half");
        DeploymentStore store = DeploymentStore.open(home);
        assertThat(store.list()).isEmpty();
        assertThat(dir.resolve(".tmp-1234.json")).doesNotExist();
    }

    @Test
    void names_a_damaged_file() throws IOException {
        DeploymentStore store = DeploymentStore.open(home);
        Files.writeString(home.resolve("deployments/iris.json"), "{\"name\":\"iris\"}");
        assertThatThrownBy(store::list).isInstanceOf(IOException.class)
                .hasMessageContaining("iris.json is damaged").hasMessageContaining("image is required");
    }
}
