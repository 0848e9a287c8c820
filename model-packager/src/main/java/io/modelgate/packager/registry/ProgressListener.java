package io.modelgate.packager.registry;

/**
 * Hears how each blob of a push or pull goes. Called often (every read of a blob in transit) and possibly from
 * the HTTP client's threads, so an implementation throttles its own output and is thread-safe.
 */
@FunctionalInterface
public interface ProgressListener {
    ProgressListener NONE = progress -> { };

    void onProgress(BlobProgress progress);
}
