package io.modelgate.packager.registry;

import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.MediaTypes;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PullerTest {

    private static GetManifest.Fetched fetched(String json, String contentType) {
        return new GetManifest.Fetched(json.getBytes(StandardCharsets.UTF_8), contentType, Optional.empty());
    }

    @Test
    void takes_the_media_type_the_document_declares_over_the_content_type() {
        assertThat(Puller.mediaTypeOf(fetched("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.DOCKER_MANIFEST + "\"}", "application/json")))
                .isEqualTo(MediaTypes.DOCKER_MANIFEST);
    }

    @Test
    void falls_back_to_the_content_type_then_to_the_shape_of_the_document() {
        assertThat(Puller.mediaTypeOf(fetched("{\"schemaVersion\":2,\"manifests\":[]}", MediaTypes.DOCKER_MANIFEST_LIST)))
                .isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
        assertThat(Puller.mediaTypeOf(fetched("{\"schemaVersion\":2,\"manifests\":[]}", "application/json"))).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(Puller.mediaTypeOf(fetched("{\"schemaVersion\":2,\"config\":{}}", null))).isEqualTo(MediaTypes.OCI_MANIFEST);
    }

    @Test
    void refuses_docker_schema_1_by_name() {
        assertThatThrownBy(() -> Puller.mediaTypeOf(fetched("{\"schemaVersion\":1,\"fsLayers\":[]}",
                "application/vnd.docker.distribution.manifest.v1+prettyjws")))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("Docker schema 1");
    }
}
