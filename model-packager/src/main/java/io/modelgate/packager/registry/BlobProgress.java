package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

/** Where one blob of a push or pull stands: what happened to it and how many of its bytes have moved. */
public record BlobProgress(Digest digest, long size, long transferred, Stage stage) {

    public enum Stage {
        /** The registry (on push) or the store (on pull) already has the blob; nothing moves. */
        EXISTS,
        /** The registry linked the blob from another repository it holds (cross-repository mount). */
        MOUNTED,
        PUSHING,
        PUSHED,
        PULLING,
        PULLED
    }
}
