package io.modelgate.packager.pack;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A packed image, read straight out of our store by the OCI tools everyone else uses. */
class PackIT {
    @TempDir
    Path tmp;

    @Test
    void writes_an_image_that_skopeo_reads_and_umoci_unpacks() throws Exception {
        Path skopeo = ExternalTools.require("skopeo", "skopeo");
        Path umoci = ExternalTools.require("umoci", "umoci");
        Path model = tmp.resolve("model");
        Files.createDirectories(model.resolve("server"));
        Files.writeString(model.resolve("model.yaml"), """
                name: itest
                version: "3"
                server: {type: command, command: [/bin/sh, server/run.sh], port: 9001}
                layers: {server: ["server/**"]}
                labels: {team: ml}
                """);
        Files.writeString(model.resolve("server/run.sh"), "#!/bin/sh\necho serving\n");
        Files.write(model.resolve("weights.onnx"), new byte[4096]);
        Path home = tmp.resolve("home");
        PackResult packed = Packer.create(home).pack(model, PackOptions.defaults().withCreated(Instant.EPOCH));

        String layout = "oci:" + home.resolve("images") + ":itest:3";
        JsonNode inspect = Json.mapper().readTree(Processes.runOk(List.of(skopeo.toString(), "inspect", layout)).stdout());
        assertThat(inspect.path("Digest").asText()).isEqualTo(packed.digest().toString());
        assertThat(inspect.path("Labels").path("team").asText()).isEqualTo("ml");
        assertThat(inspect.path("Layers")).hasSize(3);

        Path copy = tmp.resolve("copy");
        Processes.runOk(List.of(skopeo.toString(), "copy", "-q", layout, "oci:" + copy + ":itest"));
        Path bundle = tmp.resolve("bundle");
        List<String> unpack = "root".equals(System.getProperty("user.name"))
                ? List.of(umoci.toString(), "unpack", "--image", copy + ":itest", bundle.toString())
                : List.of(umoci.toString(), "unpack", "--rootless", "--image", copy + ":itest", bundle.toString());
        Processes.runOk(unpack);
        assertThat(bundle.resolve("rootfs/model/server/run.sh")).hasContent("#!/bin/sh\necho serving");
        assertThat(Files.size(bundle.resolve("rootfs/model/weights.onnx"))).isEqualTo(4096);
        JsonNode runtime = Json.mapper().readTree(bundle.resolve("config.json").toFile());
        assertThat(runtime.path("process").path("args").toString()).isEqualTo("[\"/bin/sh\",\"server/run.sh\"]");
        assertThat(runtime.path("process").path("cwd").asText()).isEqualTo("/model");
        assertThat(runtime.path("process").path("env").toString()).contains("PORT=9001");
    }
}
