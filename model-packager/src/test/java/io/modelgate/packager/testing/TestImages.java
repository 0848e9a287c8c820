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
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;

/**
 * Small images built straight through the store API, for tests that need an image without {@code pack}: a layer
 * with {@code hello.txt} and, optionally, a layer with {@code random.bin} of incompressible bytes (so its blob is
 * about as large as asked, e.g. to exercise chunked uploads).
 */
public final class TestImages {
    private TestImages() {
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
