package io.modelgate.packager.image;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageConfigTest {
    static final Digest D1 = Digest.sha256("1".getBytes(StandardCharsets.UTF_8));
    static final Digest D2 = Digest.sha256("2".getBytes(StandardCharsets.UTF_8));

    @Test
    void records_each_layer_in_rootfs_and_history_in_order() {
        ImageConfig config = new ImageConfig("1970-01-01T00:00:00Z", null, "amd64", "linux", null, null, null, null)
                .withLayer(D1, "runtime", null)
                .withLayer(D2, "model", "weights");

        assertThat(config.diffIds()).containsExactly(D1, D2);
        assertThat(config.history()).extracting(ImageConfig.History::createdBy).containsExactly("runtime", "model");
        assertThat(config.history()).allMatch(h -> "1970-01-01T00:00:00Z".equals(h.created()));
    }

    @Test
    void writes_docker_field_names_and_reads_them_back() {
        ImageConfig config = new ImageConfig("2024-01-01T00:00:00Z", null, "arm64", "linux", null,
                ImageConfig.RuntimeConfig.empty()
                        .withEntrypoint(List.of("/srv/server"))
                        .withCmd(List.of("--port", "8080"))
                        .withEnv(List.of("PORT=8080"))
                        .withWorkingDir("/srv")
                        .withUser("1000:1000")
                        .withExposedPort(8080)
                        .withLabels(Map.of("b", "2", "a", "1")),
                null, null).withLayer(D1, "layer", null);

        String json = Json.utf8(Json.write(config));

        assertThat(json).contains("\"config\":{\"User\":\"1000:1000\",\"ExposedPorts\":{\"8080/tcp\":{}},\"Env\":[\"PORT=8080\"],"
                + "\"Entrypoint\":[\"/srv/server\"],\"Cmd\":[\"--port\",\"8080\"],\"WorkingDir\":\"/srv\",\"Labels\":{\"a\":\"1\",\"b\":\"2\"}}");
        assertThat(json).contains("\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + D1 + "\"]}");
        assertThat(json).contains("\"history\":[{\"created\":\"2024-01-01T00:00:00Z\",\"created_by\":\"layer\"}]");
        assertThat(ImageConfig.parse(Json.write(config))).isEqualTo(config);
    }

    @Test
    void refuses_a_rootfs_that_is_not_layers() {
        String json = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"snapshot\",\"diff_ids\":[]}}";

        assertThatThrownBy(() -> ImageConfig.parse(json.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("layers");
    }

    @Test
    void is_not_changed_by_later_changes_to_the_collections_it_was_built_from() {
        Map<String, String> labels = new HashMap<>(Map.of("a", "1"));
        List<String> env = new ArrayList<>(List.of("A=1"));
        ImageConfig.RuntimeConfig runtime = new ImageConfig.RuntimeConfig(null, null, env, null, null, null, null, labels, null);
        byte[] before = Json.write(runtime);

        labels.put("b", "2");
        env.add("B=2");

        assertThat(Json.write(runtime)).isEqualTo(before);
        assertThatThrownBy(() -> runtime.labels().put("c", "3")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> runtime.exposedPorts().put("1/tcp", Map.of())).isInstanceOf(UnsupportedOperationException.class);
    }
}
