package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageRef;

import java.util.Map;

/** What a push did: the manifest digest the registry now serves for {@code ref}, and what became of each blob. */
public record PushResult(ImageRef ref, Digest manifestDigest, Map<Digest, BlobProgress.Stage> blobs) {
    public PushResult {
        blobs = Map.copyOf(blobs);
    }
}
