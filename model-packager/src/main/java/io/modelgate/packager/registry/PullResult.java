package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.store.StoredImage;

import java.util.Map;

/** What a pull did: the image now tagged in the store, and what became of each blob. */
public record PullResult(StoredImage image, Map<Digest, BlobProgress.Stage> blobs) {
    public PullResult {
        blobs = Map.copyOf(blobs);
    }

    public Digest manifestDigest() {
        return image.digest();
    }
}
