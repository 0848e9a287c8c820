package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;
import org.junit.jupiter.api.Test;

import java.net.URI;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RoutesTest {
    private static final Digest DIGEST = Digest.sha256(new byte[] {1, 2, 3});

    @Test
    void builds_blob_manifest_and_upload_urls_under_v2() {
        Routes routes = new Routes(Transport.PLAIN_HTTP, "localhost:5000");

        assertThat(routes.base()).hasToString("http://localhost:5000/v2/");
        assertThat(routes.blob("team/iris", DIGEST)).hasToString("http://localhost:5000/v2/team/iris/blobs/" + DIGEST);
        assertThat(routes.manifest("iris", "1")).hasToString("http://localhost:5000/v2/iris/manifests/1");
        assertThat(routes.uploads("iris")).hasToString("http://localhost:5000/v2/iris/blobs/uploads/");
    }

    @Test
    void encodes_the_mount_query() {
        URI mount = new Routes(Transport.HTTPS, "r.example").mount("b/iris", DIGEST, "a/iris");

        assertThat(mount).hasToString("https://r.example/v2/b/iris/blobs/uploads/?mount=sha256%3A" + DIGEST.hex() + "&from=a%2Firis");
    }

    @Test
    void talks_to_registry_1_for_docker_hub() {
        assertThat(new Routes(Transport.HTTPS, "docker.io").base()).hasToString("https://registry-1.docker.io/v2/");
    }

    @Test
    void resolves_a_relative_upload_location_against_the_request() {
        URI request = URI.create("http://localhost:5000/v2/iris/blobs/uploads/");

        assertThat(Routes.resolveLocation(request, "/v2/iris/blobs/uploads/abc?_state=x%3D"))
                .hasToString("http://localhost:5000/v2/iris/blobs/uploads/abc?_state=x%3D");
        assertThat(Routes.resolveLocation(request, "https://upload.example/session/1"))
                .hasToString("https://upload.example/session/1");
    }

    @Test
    void refuses_an_upload_answer_without_location() {
        assertThatThrownBy(() -> Routes.resolveLocation(URI.create("http://h/v2/x/blobs/uploads/"), null))
                .isInstanceOf(RegistryException.class)
                .hasMessageContaining("without a Location header");
    }

    @Test
    void appends_the_digest_after_an_existing_query() {
        assertThat(Routes.withQuery(URI.create("http://h/v2/x/blobs/uploads/u?_state=abc"), "digest", DIGEST.toString()))
                .hasToString("http://h/v2/x/blobs/uploads/u?_state=abc&digest=sha256%3A" + DIGEST.hex());
        assertThat(Routes.withQuery(URI.create("http://h/v2/x/blobs/uploads/u"), "digest", DIGEST.toString()))
                .hasToString("http://h/v2/x/blobs/uploads/u?digest=sha256%3A" + DIGEST.hex());
    }
}
