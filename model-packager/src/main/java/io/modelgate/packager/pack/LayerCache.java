package io.modelgate.packager.pack;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.layer.Layer;
import io.modelgate.packager.store.ImageStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Maps what a layer is made of (its entries with their content digests, the compression and the timestamp)
 * to the layer already built from it. A hit is used only while its blob is still in the store, so a rebuild
 * reuses the layer without reading or compressing its files again.
 */
final class LayerCache {
    static final String VERSION = "modelgate-layer-v2";
    private final Path dir;
    private final ImageStore store;

    LayerCache(Path dir, ImageStore store) {
        this.dir = dir;
        this.store = store;
    }

    static Digest key(List<ModelFile> entries, String prefix, String compression, long epochSecond) {
        StringBuilder s = new StringBuilder(VERSION).append('\n').append(compression).append('\n')
                .append(epochSecond).append('\n').append(prefix).append('\n');
        for (ModelFile f : entries) {
            s.append(f.keyLine()).append('\n');
        }
        return Digest.sha256(s.toString().getBytes(StandardCharsets.UTF_8));
    }

    Optional<Layer> find(Digest key) throws IOException {
        Path file = dir.resolve(key.hex());
        try {
            // One line: diff_id, blob digest, blob size, media type. Plain text: read on every rebuild, and a JSON
            // binding costs more start-up time than the rest of a cached rebuild.
            String[] f = Files.readString(file, StandardCharsets.US_ASCII).trim().split(" ");
            Layer layer = new Layer(Digest.parse(f[0]), Descriptor.of(f[3], Digest.parse(f[1]), Long.parseLong(f[2])));
            if (store.hasBlob(layer.blob().digest()) && store.blobSize(layer.blob().digest()) == layer.blob().size()) {
                return Optional.of(layer);
            }
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            Files.deleteIfExists(file);
        }
        return Optional.empty();
    }

    void put(Digest key, Layer layer) throws IOException {
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + UUID.randomUUID() + ".tmp");
        Files.writeString(temp, layer.diffId() + " " + layer.blob().digest() + " " + layer.blob().size() + " "
                + layer.blob().mediaType() + "\n", StandardCharsets.US_ASCII);
        Files.move(temp, dir.resolve(key.hex()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
