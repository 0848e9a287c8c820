package io.modelgate.packager.pack;

import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.layer.Compression;

import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How to pack: the tag (null = name:version from model.yaml), the layer compression, the timestamp written
 * into the image, where base images come from, and where progress lines go.
 */
public record PackOptions(ImageRef tag, Compression compression, Instant created, BaseImages baseImages,
                          Consumer<String> progress) {

    public PackOptions {
        Objects.requireNonNull(compression, "compression");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(baseImages, "baseImages");
        progress = progress == null ? line -> { } : progress;
    }

    /** gzip layers, the timestamp from {@code SOURCE_DATE_EPOCH} (else 1970-01-01), bases from the store only. */
    public static PackOptions defaults() {
        return new PackOptions(null, Compression.GZIP, createdFromEnvironment(), BaseImages.storeOnly(), null);
    }

    public PackOptions withTag(ImageRef value) {
        return new PackOptions(value, compression, created, baseImages, progress);
    }

    public PackOptions withCompression(Compression value) {
        return new PackOptions(tag, value, created, baseImages, progress);
    }

    public PackOptions withBaseImages(BaseImages value) {
        return new PackOptions(tag, compression, created, value, progress);
    }

    public PackOptions withProgress(Consumer<String> value) {
        return new PackOptions(tag, compression, created, baseImages, value);
    }

    public PackOptions withCreated(Instant value) {
        return new PackOptions(tag, compression, value, baseImages, progress);
    }

    /**
     * The reproducible-builds convention: {@code SOURCE_DATE_EPOCH} (seconds) when set, else the epoch, so that
     * packing the same directory twice gives the same digest.
     */
    public static Instant createdFromEnvironment() {
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        if (epoch == null || epoch.isBlank()) {
            return Instant.EPOCH;
        }
        try {
            return Instant.ofEpochSecond(Long.parseLong(epoch.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SOURCE_DATE_EPOCH='" + epoch + "' is not a number of seconds");
        }
    }
}
