package io.modelgate.packager.store;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;

/** An image resolved in the store: the reference it was found by, its manifest and its config. */
public record StoredImage(ImageRef ref, Descriptor manifestDescriptor, ImageManifest manifest, ImageConfig config) {
    public io.modelgate.packager.image.Digest digest() {
        return manifestDescriptor.digest();
    }
}
