package io.modelgate.packager.testing;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Small images for store and CLI tests: each layer is its text, stored uncompressed. */
public final class TestImages {
    public static final String CREATED = "2024-01-02T03:04:05Z";

    private TestImages() {
    }

    /** The manifest bytes of an image whose layers are the given texts (stores config and layers, not the manifest). */
    public static byte[] manifest(ImageStore store, String label, String... layers) {
        return manifest(store, label, Map.of(), layers);
    }

    public static byte[] manifest(ImageStore store, String label, Map<String, String> annotations, String... layers) {
        try {
            List<Descriptor> layerDescriptors = new ArrayList<>();
            ImageConfig config = new ImageConfig(CREATED, null, "amd64", "linux", null,
                    ImageConfig.RuntimeConfig.empty().withLabels(Map.of("test", label)).withCmd(List.of("serve")), null, null);
            for (String layer : layers) {
                byte[] bytes = layer.getBytes(StandardCharsets.UTF_8);
                Digest digest = store.writeBlob(bytes);
                layerDescriptors.add(Descriptor.of(MediaTypes.OCI_LAYER, digest, bytes.length));
                config = config.withLayer(digest, "COPY " + layer, null);
            }
            byte[] configBytes = Json.write(config);
            Digest configDigest = store.writeBlob(configBytes);
            ImageManifest manifest = new ImageManifest(2, MediaTypes.OCI_MANIFEST,
                    Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length), layerDescriptors, annotations);
            return Json.write(manifest);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Stores an image and tags it {@code ref}. */
    public static StoredImage put(ImageStore store, String ref, String... layers) throws IOException {
        try (ImageStore.Session ignored = store.writeSession()) {
            return store.putImage(ImageRef.parse(ref), manifest(store, ref, layers), MediaTypes.OCI_MANIFEST);
        }
    }
}
