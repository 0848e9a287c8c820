package io.modelgate.packager.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The client against small in-test HTTP servers that play a registry where the real one cannot misbehave on
 * demand: a lying registry (bytes that do not match their digest), a redirect to another host, a token service
 * answering with {@code token}. The real registry is exercised in RegistryIT.
 */
class RegistryClientTest {
    private final List<HttpServer> servers = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(s -> s.stop(0));
    }

    /** A server on 127.0.0.1 whose every request goes to {@code handler}; returns its host:port. */
    private String serve(Handler handler) throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            try (exchange) {
                handler.handle(exchange);
            }
        });
        server.start();
        servers.add(server);
        return "127.0.0.1:" + server.getAddress().getPort();
    }

    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private static void respond(HttpExchange exchange, int status, byte[] body, String... headers) throws IOException {
        for (int i = 0; i < headers.length; i += 2) {
            exchange.getResponseHeaders().add(headers[i], headers[i + 1]);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }

    private static RegistryClient client(String host, Credentials credentials) {
        return RegistryClient.to(host).transport(Transport.PLAIN_HTTP).credentials(Optional.ofNullable(credentials)).build();
    }

    @Test
    void fetches_a_bearer_token_from_the_challenge_realm_and_retries_with_it() throws Exception {
        List<String> tokenRequests = Collections.synchronizedList(new ArrayList<>());
        String tokens = serve(exchange -> {
            tokenRequests.add(exchange.getRequestURI().getRawQuery() + " " + exchange.getRequestHeaders().getFirst("Authorization"));
            respond(exchange, 200, "{\"token\":\"tok-1\",\"expires_in\":60}".getBytes(StandardCharsets.UTF_8));
        });
        String registry = serve(exchange -> {
            if ("Bearer tok-1".equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                respond(exchange, 200, "{}".getBytes(StandardCharsets.UTF_8));
            } else {
                respond(exchange, 401, new byte[0], "WWW-Authenticate",
                        "Bearer realm=\"http://" + tokens + "/token\",service=\"fake-registry\",scope=\"registry:catalog:*\"");
            }
        });

        client(registry, Credentials.of("alice", "pw")).checkAccess();

        assertThat(tokenRequests).containsExactly("service=fake-registry&scope=registry%3Acatalog%3A*&account=alice "
                + Credentials.of("alice", "pw").basicAuthorization());
    }

    @Test
    void says_to_log_in_when_a_registry_wants_credentials_and_has_none() throws Exception {
        String registry = serve(exchange -> respond(exchange, 401,
                "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"authentication required\"}]}".getBytes(StandardCharsets.UTF_8),
                "WWW-Authenticate", "Basic realm=\"r\"", "Content-Type", "application/json"));

        assertThatThrownBy(() -> client(registry, null).checkAccess())
                .isInstanceOf(RegistryException.class)
                .hasMessage("login " + registry + ": registry refused the API check GET /v2/ with 401 UNAUTHORIZED: authentication required;"
                        + " the registry wants credentials: run 'modelgate login " + registry + "'");
    }

    @Test
    void refuses_a_manifest_whose_bytes_do_not_match_the_digest_asked_for(@TempDir Path home) throws Exception {
        byte[] other = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{}}".getBytes(StandardCharsets.UTF_8);
        Digest asked = Digest.sha256("something else".getBytes(StandardCharsets.UTF_8));
        String registry = serve(exchange -> respond(exchange, 200, other, "Content-Type", MediaTypes.OCI_MANIFEST));
        ImageStore store = ImageStore.open(home);

        assertThatThrownBy(() -> client(registry, null).pull(store, ImageRef.parse(registry + "/iris@" + asked), ProgressListener.NONE))
                .isInstanceOf(RegistryException.class)
                .hasMessageStartingWith("pull " + registry + "/iris@" + asked + ": registry sent a manifest for iris@" + asked)
                .hasMessageContaining("hashes to " + Digest.sha256(other));
        assertThat(store.list()).isEmpty();
    }

    @Test
    void refuses_a_manifest_that_does_not_match_the_docker_content_digest(@TempDir Path home) throws Exception {
        byte[] manifest = "{\"schemaVersion\":2}".getBytes(StandardCharsets.UTF_8);
        Digest vouched = Digest.sha256("the registry's idea".getBytes(StandardCharsets.UTF_8));
        String registry = serve(exchange -> respond(exchange, 200, manifest,
                "Content-Type", MediaTypes.OCI_MANIFEST, "Docker-Content-Digest", vouched.toString()));
        ImageStore store = ImageStore.open(home);

        assertThatThrownBy(() -> client(registry, null).pull(store, ImageRef.parse(registry + "/iris:1"), ProgressListener.NONE))
                .hasMessageContaining("hashes to " + Digest.sha256(manifest) + ", not " + vouched + "; nothing was stored");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void picks_the_host_platform_from_an_index_and_follows_blob_redirects_without_credentials(@TempDir Path tmp) throws Exception {
        ImageStore source = ImageStore.open(tmp.resolve("source"));
        StoredImage image = TestImages.hello(source, "iris:1", "hello", 4096, 7);
        byte[] manifest = source.readBlob(image.digest());
        Descriptor hostEntry = new Descriptor(MediaTypes.OCI_MANIFEST, image.digest(), manifest.length, Map.of(), Descriptor.Platform.host());
        Descriptor otherEntry = new Descriptor(MediaTypes.OCI_MANIFEST, Digest.sha256(new byte[1]), 10, Map.of(),
                new Descriptor.Platform("mips64le".equals(Descriptor.Platform.hostArchitecture()) ? "riscv64" : "mips64le", "linux", null));
        byte[] index = Json.write(ImageIndex.of(List.of(otherEntry, hostEntry)));
        List<String> storageAuthorization = Collections.synchronizedList(new ArrayList<>());
        String storage = serve(exchange -> {
            storageAuthorization.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            String hex = exchange.getRequestURI().getPath().substring("/blobs/".length());
            respond(exchange, 200, source.readBlob(Digest.ofHex(hex)));
        });
        Credentials alice = Credentials.of("alice", "pw");
        String registry = serve(exchange -> {
            String path = exchange.getRequestURI().getPath();
            if (!alice.basicAuthorization().equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                respond(exchange, 401, new byte[0], "WWW-Authenticate", "Basic realm=\"fake\"");
            } else if (path.equals("/v2/team/iris/manifests/1")) {
                respond(exchange, 200, index, "Content-Type", MediaTypes.OCI_INDEX, "Docker-Content-Digest", Digest.sha256(index).toString());
            } else if (path.equals("/v2/team/iris/manifests/" + image.digest())) {
                respond(exchange, 200, manifest, "Content-Type", MediaTypes.OCI_MANIFEST);
            } else if (path.startsWith("/v2/team/iris/blobs/sha256:")) {
                respond(exchange, 307, new byte[0], "Location", "http://" + storage + "/blobs/" + path.substring(path.lastIndexOf(':') + 1));
            } else {
                respond(exchange, 404, new byte[0]);
            }
        });
        ImageStore store = ImageStore.open(tmp.resolve("home"));
        List<BlobProgress> progress = Collections.synchronizedList(new ArrayList<>());

        PullResult result = client(registry, alice).pull(store, ImageRef.parse(registry + "/team/iris:1"), progress::add);

        assertThat(result.manifestDigest()).isEqualTo(image.digest());
        assertThat(store.resolve(registry + "/team/iris:1").digest()).isEqualTo(image.digest());
        assertThat(result.blobs()).hasSize(3).containsValues(BlobProgress.Stage.PULLED);
        assertThat(storageAuthorization).hasSize(3).containsOnly("null");
        assertThat(progress).filteredOn(p -> p.stage() == BlobProgress.Stage.PULLED).hasSize(3);
    }
}
