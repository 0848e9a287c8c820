package io.modelgate.packager.pack;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageRef;

import java.util.List;

/** What pack produced: the tag, the manifest digest, and each layer with whether it came from the cache. */
public record PackResult(ImageRef ref, Digest digest, List<LayerReport> layers) {
    public PackResult {
        layers = List.copyOf(layers);
    }

    public record LayerReport(String description, int entries, long compressedSize, Digest digest, boolean cached) {
    }
}
