package io.modelgate.packager.cli;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;

import java.util.List;

/**
 * Builds Jackson's serializers and deserializers for the image documents on a second core while the command's
 * own thread reads model.yaml and the model directory. A short command spends most of its time on first uses of
 * code like this; doing it in parallel takes it off the critical path. Failures here are of no consequence.
 */
final class Warmup {
    private Warmup() {
    }

    static void start() {
        Thread t = new Thread(() -> {
            try {
                Digest d = Digest.sha256(new byte[0]);
                ImageConfig config = new ImageConfig("1970-01-01T00:00:00Z", null, "amd64", "linux", null,
                        ImageConfig.RuntimeConfig.empty().withEnv(List.of("A=b")).withLabels(java.util.Map.of("a", "b")), null, null)
                        .withLayer(d, "warm-up", null);
                ImageConfig.parse(Json.write(config));
                ImageManifest manifest = ImageManifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, d, 1),
                        List.of(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, d, 1)));
                ImageManifest.parse(Json.write(manifest), MediaTypes.OCI_MANIFEST);
                ImageIndex.parse(Json.write(ImageIndex.of(List.of(Descriptor.of(MediaTypes.OCI_MANIFEST, d, 1)
                        .withAnnotations(java.util.Map.of("k", "v"))))));
            } catch (RuntimeException | Error ignored) {
                // only a head start
            }
        }, "warm-up");
        t.setDaemon(true);
        t.start();
    }
}
