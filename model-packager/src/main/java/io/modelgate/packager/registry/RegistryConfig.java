package io.modelgate.packager.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;

/**
 * The registry settings in {@code <home>/config.json}:
 * <pre>{"insecureRegistries": ["localhost:5000"], "chunkedUploadThreshold": 33554432, "uploadChunkSize": 16777216}</pre>
 * A registry listed as insecure is spoken to over plain HTTP, as {@code --plain-http} does; there is deliberately
 * no silent fallback from HTTPS to HTTP. Blobs larger than the threshold are uploaded in chunks of the chunk size.
 * Other keys in the file belong to other parts of modelgate and are left alone.
 */
public record RegistryConfig(Set<String> insecureRegistries, long chunkedUploadThreshold, long uploadChunkSize) {

    public static final long DEFAULT_CHUNKED_UPLOAD_THRESHOLD = 32L << 20;
    public static final long DEFAULT_UPLOAD_CHUNK_SIZE = 16L << 20;

    public RegistryConfig {
        insecureRegistries = insecureRegistries == null ? Set.of() : Set.copyOf(insecureRegistries);
        if (chunkedUploadThreshold < 0) {
            throw new IllegalArgumentException("chunkedUploadThreshold must not be negative: " + chunkedUploadThreshold);
        }
        if (uploadChunkSize < 1) {
            throw new IllegalArgumentException("uploadChunkSize must be at least 1 byte: " + uploadChunkSize);
        }
    }

    public static RegistryConfig defaults() {
        return new RegistryConfig(Set.of(), DEFAULT_CHUNKED_UPLOAD_THRESHOLD, DEFAULT_UPLOAD_CHUNK_SIZE);
    }

    /** Reads {@code <home>/config.json}; defaults where the file or a key is missing. */
    public static RegistryConfig load(Path home) {
        Path file = home.resolve("config.json");
        if (!Files.exists(file)) {
            return defaults();
        }
        try {
            return parse(Files.readAllBytes(file), file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    static RegistryConfig parse(byte[] json, String source) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + " is not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            return defaults();
        }
        Set<String> insecure = new LinkedHashSet<>();
        JsonNode list = root.path("insecureRegistries");
        if (!list.isMissingNode() && !list.isArray()) {
            throw new IllegalArgumentException(source + ": insecureRegistries must be a list of registry hosts");
        }
        list.forEach(n -> insecure.add(n.asText().trim().toLowerCase(Locale.ROOT)));
        return new RegistryConfig(insecure,
                size(root, "chunkedUploadThreshold", DEFAULT_CHUNKED_UPLOAD_THRESHOLD, source),
                size(root, "uploadChunkSize", DEFAULT_UPLOAD_CHUNK_SIZE, source));
    }

    private static long size(JsonNode root, String key, long fallback, String source) {
        JsonNode n = root.path(key);
        if (n.isMissingNode() || n.isNull()) {
            return fallback;
        }
        if (!n.canConvertToLong()) {
            throw new IllegalArgumentException(source + ": " + key + " must be a number of bytes, not " + n);
        }
        return n.asLong();
    }

    /** Plain HTTP for a registry listed as insecure, HTTPS otherwise. */
    public Transport transportFor(String registry) {
        return insecureRegistries.contains(registry.toLowerCase(Locale.ROOT)) ? Transport.PLAIN_HTTP : Transport.HTTPS;
    }
}
