package io.modelgate.packager.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** An OCI content descriptor: what a blob is, its digest and its size (image-spec descriptor.md). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"mediaType", "digest", "size", "annotations", "platform"})
public record Descriptor(String mediaType, Digest digest, long size, Map<String, String> annotations, Platform platform) {

    public Descriptor {
        Objects.requireNonNull(mediaType, "descriptor mediaType");
        Objects.requireNonNull(digest, "descriptor digest");
        if (size < 0) {
            throw new IllegalArgumentException("descriptor size must not be negative: " + size);
        }
        annotations = annotations == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(annotations));
    }

    public static Descriptor of(String mediaType, Digest digest, long size) {
        return new Descriptor(mediaType, digest, size, Map.of(), null);
    }

    public Descriptor withAnnotations(Map<String, String> extra) {
        Map<String, String> merged = new TreeMap<>(annotations);
        merged.putAll(extra);
        return new Descriptor(mediaType, digest, size, merged, platform);
    }

    public Descriptor withoutAnnotations() {
        return new Descriptor(mediaType, digest, size, Map.of(), platform);
    }

    /** The platform of a manifest in an index. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Platform(String architecture, String os, String variant) {
        public static Platform host() {
            return new Platform(hostArchitecture(), "linux", null);
        }

        /** GOARCH naming, as image configs use it. */
        public static String hostArchitecture() {
            String arch = System.getProperty("os.arch");
            return switch (arch) {
                case "amd64", "x86_64" -> "amd64";
                case "aarch64", "arm64" -> "arm64";
                case "ppc64le" -> "ppc64le";
                case "s390x" -> "s390x";
                case "riscv64" -> "riscv64";
                default -> arch;
            };
        }
    }
}
