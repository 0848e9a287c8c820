package io.modelgate.packager.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/** An image manifest (OCI image-spec manifest.md, or Docker schema 2 which has the same shape). */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"schemaVersion", "mediaType", "config", "layers", "annotations"})
public record ImageManifest(int schemaVersion, String mediaType, Descriptor config,
                            @JsonInclude(JsonInclude.Include.ALWAYS) List<Descriptor> layers,
                            Map<String, String> annotations) {

    public ImageManifest {
        if (schemaVersion != 2) {
            throw new ImageFormatException("unsupported manifest schemaVersion " + schemaVersion + " (expected 2)");
        }
        if (config == null) {
            throw new ImageFormatException("manifest has no config descriptor");
        }
        layers = layers == null ? List.of() : List.copyOf(layers);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public static ImageManifest oci(Descriptor config, List<Descriptor> layers) {
        return new ImageManifest(2, MediaTypes.OCI_MANIFEST, config, layers, Map.of());
    }

    /** Parses manifest bytes, refusing anything but a manifest. */
    public static ImageManifest parse(byte[] json, String mediaTypeHint) {
        ImageManifest manifest = Json.read(json, ImageManifest.class, "image manifest");
        String type = manifest.mediaType() != null ? manifest.mediaType() : mediaTypeHint;
        if (type != null && !MediaTypes.isManifest(type)) {
            throw new ImageFormatException("unknown manifest media type '" + type + "'");
        }
        for (Descriptor layer : manifest.layers()) {
            MediaTypes.requireLayer(layer.mediaType());
        }
        return manifest;
    }

    public long totalSize() {
        return config.size() + layers.stream().mapToLong(Descriptor::size).sum();
    }
}
