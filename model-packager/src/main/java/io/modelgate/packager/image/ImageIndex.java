package io.modelgate.packager.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.List;
import java.util.Map;

/** An image index (OCI image-spec image-index.md), also the shape of an OCI layout's index.json. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"schemaVersion", "mediaType", "manifests", "annotations"})
public record ImageIndex(int schemaVersion, String mediaType, @JsonInclude(JsonInclude.Include.ALWAYS) List<Descriptor> manifests, Map<String, String> annotations) {

    public ImageIndex {
        if (schemaVersion != 2) {
            throw new ImageFormatException("unsupported index schemaVersion " + schemaVersion + " (expected 2)");
        }
        manifests = manifests == null ? List.of() : List.copyOf(manifests);
        annotations = annotations == null ? Map.of() : Map.copyOf(annotations);
    }

    public static ImageIndex of(List<Descriptor> manifests) {
        return new ImageIndex(2, MediaTypes.OCI_INDEX, manifests, Map.of());
    }

    public static ImageIndex parse(byte[] json) {
        return Json.read(json, ImageIndex.class, "image index");
    }

    /** The manifest for this machine's platform (linux and the JVM's architecture). */
    public Descriptor forPlatform(Descriptor.Platform wanted) {
        return manifests.stream()
                .filter(d -> d.platform() != null
                        && wanted.os().equals(d.platform().os())
                        && wanted.architecture().equals(d.platform().architecture()))
                .findFirst()
                .orElseThrow(() -> new ImageFormatException("the image index has no manifest for "
                        + wanted.os() + "/" + wanted.architecture() + " (it has: "
                        + manifests.stream().map(d -> d.platform() == null ? "?" : d.platform().os() + "/" + d.platform().architecture()).toList() + ")"));
    }
}
