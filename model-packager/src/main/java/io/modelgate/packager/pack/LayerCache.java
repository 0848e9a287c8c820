package io.modelgate.packager.pack;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.Json;
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
    static final String VERSION = "modelgate-layer-v1";
    private final Path dir;
    private final ImageStore store;

    LayerCache(Path dir, ImageStore store) {
        this.dir = dir;
        this.store = store;
    }

    record Entry(Digest diffId, Descriptor blob) {
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
        Path file = dir.resolve(key.hex() + ".json");
        try {
            Entry e = Json.read(Files.readAllBytes(file), Entry.class, "layer cache entry");
            if (store.hasBlob(e.blob().digest()) && store.blobSize(e.blob().digest()) == e.blob().size()) {
                return Optional.of(new Layer(e.diffId(), e.blob()));
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
        Files.write(temp, Json.write(new Entry(layer.diffId(), layer.blob())));
        Files.move(temp, dir.resolve(key.hex() + ".json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
