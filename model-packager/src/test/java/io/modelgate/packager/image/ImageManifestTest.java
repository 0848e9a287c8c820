package io.modelgate.packager.image;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageManifestTest {
    static final Digest CONFIG = Digest.sha256("config".getBytes(StandardCharsets.UTF_8));
    static final Digest LAYER = Digest.sha256("layer".getBytes(StandardCharsets.UTF_8));
    static final Digest EMPTY = Digest.sha256(new byte[0]);

    static ImageManifest sample() {
        return ImageManifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, CONFIG, 6),
                List.of(Descriptor.of(MediaTypes.OCI_LAYER_GZIP, LAYER, 5), Descriptor.of(MediaTypes.OCI_LAYER, EMPTY, 0)));
    }

    @Test
    void writes_the_fields_of_the_oci_manifest_in_spec_order() {
        String json = Json.utf8(Json.write(sample()));

        assertThat(json).isEqualTo("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\","
                + "\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + CONFIG + "\",\"size\":6},"
                + "\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_GZIP + "\",\"digest\":\"" + LAYER + "\",\"size\":5},"
                + "{\"mediaType\":\"" + MediaTypes.OCI_LAYER + "\",\"digest\":\"" + EMPTY + "\",\"size\":0}]}");
    }

    @Test
    void serialises_to_the_same_bytes_whatever_the_order_annotations_were_given_in() {
        Map<String, String> one = new java.util.LinkedHashMap<>();
        one.put("b", "2");
        one.put("a", "1");
        Map<String, String> two = new java.util.LinkedHashMap<>();
        two.put("a", "1");
        two.put("b", "2");
        ImageManifest m1 = new ImageManifest(2, MediaTypes.OCI_MANIFEST, sample().config(), sample().layers(), one);
        ImageManifest m2 = new ImageManifest(2, MediaTypes.OCI_MANIFEST, sample().config(), sample().layers(), two);

        assertThat(Json.write(m1)).isEqualTo(Json.write(m2));
        assertThat(Json.utf8(Json.write(m1))).endsWith("\"annotations\":{\"a\":\"1\",\"b\":\"2\"}}");
    }

    @Test
    void reads_back_what_it_wrote() {
        ImageManifest m = sample();

        ImageManifest parsed = ImageManifest.parse(Json.write(m), null);

        assertThat(parsed).isEqualTo(m);
        assertThat(parsed.totalSize()).isEqualTo(6 + 5);
    }

    @Test
    void reads_a_docker_schema2_manifest_and_ignores_unknown_fields() {
        String json = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\",\"x-extra\":true,"
                + "\"config\":{\"mediaType\":\"" + MediaTypes.DOCKER_CONFIG + "\",\"digest\":\"" + CONFIG + "\",\"size\":6},"
                + "\"layers\":[{\"mediaType\":\"" + MediaTypes.DOCKER_LAYER_GZIP + "\",\"digest\":\"" + LAYER + "\",\"size\":5,\"urls\":[]}]}";

        ImageManifest m = ImageManifest.parse(json.getBytes(StandardCharsets.UTF_8), null);

        assertThat(m.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
        assertThat(m.layers()).extracting(Descriptor::digest).containsExactly(LAYER);
    }

    @Test
    void refuses_documents_that_are_not_image_manifests() {
        String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[],"
                + "\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + CONFIG + "\",\"size\":6}}";
        assertThatThrownBy(() -> ImageManifest.parse(index.getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining(MediaTypes.OCI_INDEX);

        String noConfig = "{\"schemaVersion\":2,\"layers\":[]}";
        assertThatThrownBy(() -> ImageManifest.parse(noConfig.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("config");

        String schema1 = "{\"schemaVersion\":1,\"config\":{\"mediaType\":\"x\",\"digest\":\"" + CONFIG + "\",\"size\":1}}";
        assertThatThrownBy(() -> ImageManifest.parse(schema1.getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("schemaVersion 1");

        String badDigest = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"x\",\"digest\":\"sha256:nothex\",\"size\":1}}";
        assertThatThrownBy(() -> ImageManifest.parse(badDigest.getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("sha256:nothex");

        assertThatThrownBy(() -> ImageManifest.parse("not json".getBytes(StandardCharsets.UTF_8), null))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("image manifest");
    }

    @Test
    void refuses_a_layer_media_type_it_cannot_unpack_naming_it() {
        String json = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + CONFIG + "\",\"size\":6},"
                + "\"layers\":[{\"mediaType\":\"application/x-bzip2\",\"digest\":\"" + LAYER + "\",\"size\":5}]}";

        assertThatThrownBy(() -> ImageManifest.parse(json.getBytes(StandardCharsets.UTF_8), MediaTypes.OCI_MANIFEST))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("application/x-bzip2");
    }

    @Test
    void refuses_a_negative_size() {
        assertThatThrownBy(() -> Descriptor.of(MediaTypes.OCI_LAYER, LAYER, -1)).hasMessageContaining("-1");
    }
}
