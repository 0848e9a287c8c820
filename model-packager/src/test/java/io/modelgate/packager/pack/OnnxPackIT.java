package io.modelgate.packager.pack;

import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.store.StoredImage;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * examples/iris with {@code server: {type: onnx}}: a complete image on the built-in server, the same digest from
 * two empty stores. Running it is runtime-native's OnnxImageIT.
 */
class OnnxPackIT {
    private static final Path IRIS = Path.of("..", "examples", "iris").toAbsolutePath().normalize();

    @TempDir
    Path tmp;
    /** One home for both tests: its runtime and server layers are made once (jlink takes seconds). */
    @TempDir
    static Path shared;

    @Test
    void packs_iris_on_the_built_in_server_reproducibly() throws Exception {
        Assumptions.assumeTrue(System.getProperty("modelgate.server.dist") != null, "needs the built-in server's build output");
        PackResult one = Packer.create(shared).pack(IRIS, PackOptions.defaults().withCreated(Instant.EPOCH));
        PackResult two = Packer.create(tmp.resolve("two")).pack(IRIS, PackOptions.defaults().withCreated(Instant.EPOCH));
        assertThat(two.digest()).isEqualTo(one.digest());
        assertThat(one.layers()).extracting(PackResult.LayerReport::description)
                .startsWith("base: system libraries").contains("built-in server libraries", "built-in server", "weights");

        StoredImage image = Packer.create(shared).store().resolve("iris:1");
        var rc = image.config().config();
        assertThat(rc.entrypoint().get(0)).isEqualTo("/opt/modelgate/jre/bin/java");
        assertThat(rc.entrypoint()).contains("io.modelgate.server.Main");
        assertThat(rc.workingDir()).isEqualTo("/opt/modelgate/server");
        assertThat(rc.user()).isEqualTo("65534:65534");
        assertThat(rc.env()).contains("MODEL_PATH=/model/model.onnx", "ORT_DISABLE_TELEMETRY=1", "MODEL_NAME=iris", "PORT=8080");
        assertThat(rc.labels()).containsKeys("io.modelgate.base.packages", "io.modelgate.base.source", "io.modelgate.runtime.java")
                .containsEntry("io.modelgate.server.type", "onnx");
        assertThat(rc.labels().get("io.modelgate.base.packages")).doesNotContain("libx11", "libasound");
    }

    @Test
    void passes_batching_to_the_server_and_refuses_a_missing_model_file() throws Exception {
        Assumptions.assumeTrue(System.getProperty("modelgate.server.dist") != null, "needs the built-in server's build output");
        Path model = Files.createDirectories(tmp.resolve("m"));
        Files.copy(IRIS.resolve("model.onnx"), model.resolve("classifier.onnx"));
        Files.writeString(model.resolve("model.yaml"), "name: c\nserver: {type: onnx, batching: {maxBatchSize: 16, maxBatchDelayMs: 3}}\n");
        Packer packer = Packer.create(shared);
        PackResult r = packer.pack(model, PackOptions.defaults());
        assertThat(packer.store().resolve(r.ref().toString()).config().config().env())
                .contains("MODEL_PATH=/model/classifier.onnx", "MAX_BATCH_SIZE=16", "MAX_BATCH_DELAY_MS=3");

        Files.writeString(model.resolve("model.yaml"), "name: c\nmodel: missing.onnx\nserver: {type: onnx}\n");
        assertThatThrownBy(() -> packer.pack(model, PackOptions.defaults().withTag(ImageRef.parse("c:2"))))
                .hasMessageContaining("'missing.onnx', which is not in the model directory");
        assertThat(packer.store().find("c:2")).isEmpty();
    }
}
