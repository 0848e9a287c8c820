package io.modelgate.packager.archive;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.ImageRef;

import java.util.Objects;

/**
 * One image {@link Archives#load} put into the store: the tag it now has, or a null {@code ref} when the archive
 * gave the image no name (its blobs are stored but, untagged, they go at the next {@code system prune}).
 */
public record LoadedImage(ImageRef ref, Descriptor manifest) {
    public LoadedImage {
        Objects.requireNonNull(manifest, "manifest");
    }

    public boolean named() {
        return ref != null;
    }
}
