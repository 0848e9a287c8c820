package io.modelgate.packager.layer;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;

/** A layer in the store: the digest of its uncompressed tar (the config's diff_id) and its compressed blob. */
public record Layer(Digest diffId, Descriptor blob) {
}
