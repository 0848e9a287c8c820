package io.modelgate.packager.pack;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageRef;

import java.util.List;

/**
 * What pack produced: the tag, the manifest digest, each layer with whether it came from the cache, and how many
 * bytes of the model's files had to be read (0 for files whose stat and layer were both cached).
 */
public record PackResult(ImageRef ref, Digest digest, List<LayerReport> layers, long bytesRead) {
    public PackResult {
        layers = List.copyOf(layers);
    }

    public record LayerReport(String description, int entries, long compressedSize, Digest digest, boolean cached) {
    }
}
