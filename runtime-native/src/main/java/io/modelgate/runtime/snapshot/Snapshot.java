package io.modelgate.runtime.snapshot;

import io.modelgate.packager.image.Digest;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One unpacked layer: its diff_id, the directory overlayfs takes as a lower dir, and the bytes of file content
 * it holds.
 */
public record Snapshot(Digest diffId, Path path, long size) {
    public Snapshot {
        Objects.requireNonNull(diffId, "snapshot diffId");
        Objects.requireNonNull(path, "snapshot path");
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("snapshot path must be absolute: " + path);
        }
        if (size < 0) {
            throw new IllegalArgumentException("snapshot size must not be negative: " + size);
        }
    }
}
