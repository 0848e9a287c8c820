package io.modelgate.runtime.snapshot;

/**
 * A layer that cannot become a snapshot: refused because it would write outside its root or holds what a
 * container must not get (device nodes), corrupt (diff_id mismatch), or a machine that cannot unpack safely.
 * The message names the layer and the entry, and no partial snapshot is left behind.
 */
public class SnapshotException extends RuntimeException {
    public SnapshotException(String message) {
        super(message);
    }

    public SnapshotException(String message, Throwable cause) {
        super(message, cause);
    }
}
