package io.modelgate.packager.testing;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.layer.Layer;
import io.modelgate.packager.layer.Layers;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Small images made straight through the store API, for tests of the store, the CLI and the registry client. */
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



    /**
     * Builds the image and tags it {@code ref}.
     * @param randomBytes size of the random layer, 0 for none; {@code seed} makes it reproducible
     */
    public static StoredImage hello(ImageStore store, String ref, String greeting, int randomBytes, long seed) throws IOException {
        List<Layer> layers = new ArrayList<>();
        layers.add(layer(store, "hello.txt", greeting.getBytes(StandardCharsets.UTF_8)));
        if (randomBytes > 0) {
            byte[] random = new byte[randomBytes];
            new Random(seed).nextBytes(random);
            layers.add(layer(store, "random.bin", random));
        }
        List<Digest> diffIds = layers.stream().map(Layer::diffId).toList();
        ImageConfig config = new ImageConfig("2024-01-01T00:00:00Z", null, Descriptor.Platform.hostArchitecture(), "linux", null,
                ImageConfig.RuntimeConfig.empty().withCmd(List.of("/bin/cat", "/hello.txt")),
                new ImageConfig.RootFs("layers", diffIds), null);
        byte[] configBytes = Json.write(config);
        Digest configDigest = store.writeBlob(configBytes);
        ImageManifest manifest = ImageManifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length),
                layers.stream().map(Layer::blob).toList());
        return store.putImage(ImageRef.parse(ref), Json.write(manifest), MediaTypes.OCI_MANIFEST);
    }

    private static Layer layer(ImageStore store, String name, byte[] content) throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(tar)) {
            out.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
            TarArchiveEntry entry = new TarArchiveEntry(name);
            entry.setSize(content.length);
            entry.setMode(0644);
            entry.setModTime(new Date(0));
            out.putArchiveEntry(entry);
            out.write(content);
            out.closeArchiveEntry();
            out.finish();
        }
        return Layers.store(store, new ByteArrayInputStream(tar.toByteArray()), Compression.GZIP);
    }
}
