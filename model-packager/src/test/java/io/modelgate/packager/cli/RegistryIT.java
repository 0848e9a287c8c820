package io.modelgate.packager.cli;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.registry.BlobProgress;
import io.modelgate.packager.registry.RegistryClient;
import io.modelgate.packager.registry.RegistryException;
import io.modelgate.packager.registry.Transport;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Processes;
import io.modelgate.packager.testing.RegistryServer;
import io.modelgate.packager.testing.TestImages;
import io.modelgate.packager.testing.TokenServer;
import io.modelgate.packager.testing.Cli;
import io.modelgate.packager.testing.Cli.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * push, pull and login against a real registry (Debian's docker-registry, distribution 2.8), checked with the
 * tools others use on the same registry: what we push, skopeo reads and umoci unpacks; what skopeo puts there, we
 * pull byte for byte. One registry serves the tests that need no special set-up; auth, read-only and crash tests
 * start their own. Each repository name is used by one test only.
 */
class RegistryIT {
    private static final int MiB = 1 << 20;

    @TempDir
    static Path shared;
    static RegistryServer registry;

    @TempDir
    Path tmp;

    @BeforeAll
    static void startRegistry() throws Exception {
        registry = RegistryServer.in(shared.resolve("registry")).start();
    }

    @AfterAll
    static void stopRegistry() throws Exception {
        if (registry != null) {
            registry.close();
        }
    }

    private static Run modelgate(Path home, String... args) {
        return Cli.inHome(home, args);
    }

    /** A home whose config makes every blob above 1 MiB go up in 1 MiB chunks. */
    private Path home(String name) throws Exception {
        Path home = Files.createDirectories(tmp.resolve(name));
        Files.writeString(home.resolve("config.json"), "{\"chunkedUploadThreshold\":" + MiB + ",\"uploadChunkSize\":" + MiB + "}");
        return home;
    }

    private static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) {
            n++;
        }
        return n;
    }

    private static String sha256Raw(String reference) throws Exception {
        Processes.Result raw = Processes.runOk(List.of(ExternalTools.require("skopeo", "skopeo").toString(),
                "inspect", "--raw", "--tls-verify=false", reference));
        return Digest.sha256(raw.stdout().getBytes(StandardCharsets.UTF_8)).toString();
    }

    @Test
    void pushed_image_is_read_by_skopeo_and_unpacked_by_umoci() throws Exception {
        Path skopeo = ExternalTools.require("skopeo", "skopeo");
        Path umoci = ExternalTools.require("umoci", "umoci");
        Path home = home("home");
        String ref = registry.host() + "/models/iris:1";
        StoredImage image = TestImages.hello(ImageStore.open(home), ref, "hello from modelgate\n", 3 * MiB + 12345, 1);
        Descriptor big = image.manifest().layers().get(1);

        Run push = modelgate(home, "push", "--plain-http", ref);

        assertThat(push.status()).as(push.err()).isZero();
        assertThat(push.lastLine()).isEqualTo(image.digest().toString());
        assertThat(push.err()).contains(big.digest().algorithm() + ":" + big.digest().shortHex() + " pushing")
                .contains(big.digest().algorithm() + ":" + big.digest().shortHex() + " pushed");
        // The big layer went up in 1 MiB PATCH chunks; the small layer and the config in one PUT each.
        String log = registry.log();
        assertThat(count(log, "\"PATCH /v2/models/iris/blobs/uploads/")).isEqualTo((int) ((big.size() + MiB - 1) / MiB));
        assertThat(count(log, "\"PUT /v2/models/iris/blobs/uploads/")).isEqualTo(3);
        assertThat(count(log, "\"PUT /v2/models/iris/manifests/1 ")).isEqualTo(1);

        Processes.Result inspect = Processes.runOk(List.of(skopeo.toString(), "inspect", "--tls-verify=false", "docker://" + ref));
        assertThat(Json.mapper().readTree(inspect.stdout()).path("Digest").asText()).isEqualTo(image.digest().toString());
        assertThat(sha256Raw("docker://" + ref)).isEqualTo(image.digest().toString());

        Path layout = tmp.resolve("oci");
        Processes.runOk(List.of(skopeo.toString(), "copy", "--src-tls-verify=false", "docker://" + ref, "oci:" + layout + ":iris"));
        Path bundle = tmp.resolve("bundle");
        List<String> unpack = new ArrayList<>(List.of(umoci.toString(), "unpack"));
        if (!"root".equals(System.getProperty("user.name"))) {
            unpack.add("--rootless");
        }
        unpack.addAll(List.of("--image", layout + ":iris", bundle.toString()));
        Processes.runOk(unpack);
        assertThat(bundle.resolve("rootfs/hello.txt")).hasContent("hello from modelgate");
        assertThat(Files.size(bundle.resolve("rootfs/random.bin"))).isEqualTo(3 * MiB + 12345);
    }

    @Test
    void second_push_finds_every_blob_in_the_registry() throws Exception {
        Path home = home("home");
        String ref = registry.host() + "/again/iris:1";
        StoredImage image = TestImages.hello(ImageStore.open(home), ref, "hello again", 0, 2);
        assertThat(modelgate(home, "push", "--plain-http", ref).status()).isZero();

        Run second = modelgate(home, "push", "--plain-http", ref);

        assertThat(second.status()).as(second.err()).isZero();
        assertThat(count(second.err(), " exists")).isEqualTo(2);
        assertThat(second.err()).doesNotContain("pushing");
        assertThat(second.lastLine()).isEqualTo(image.digest().toString());
        assertThat(count(registry.log(), "\"POST /v2/again/iris/blobs/uploads/")).isEqualTo(2);
    }

    @Test
    void push_to_another_repository_mounts_the_blobs_instead_of_uploading() throws Exception {
        Path home = home("home");
        ImageStore store = ImageStore.open(home);
        String first = registry.host() + "/team-a/iris:1";
        String second = registry.host() + "/team-b/iris:1";
        StoredImage image = TestImages.hello(store, first, "shared", 2 * MiB, 3);
        assertThat(modelgate(home, "push", "--plain-http", first).status()).isZero();
        store.tag(ImageRef.parse(second), image.manifestDescriptor());

        Run push = modelgate(home, "push", "--plain-http", second);

        assertThat(push.status()).as(push.err()).isZero();
        assertThat(count(push.err(), " mounted")).isEqualTo(3);
        String log = registry.log();
        assertThat(count(log, "\"POST /v2/team-b/iris/blobs/uploads/?mount=sha256%3A")).isEqualTo(3);
        assertThat(log).contains("&from=team-a%2Firis HTTP/1.1\" 201")
                .doesNotContain("\"PATCH /v2/team-b/").doesNotContain("\"PUT /v2/team-b/iris/blobs/uploads/");
        assertThat(sha256Raw("docker://" + second)).isEqualTo(image.digest().toString());
    }

    @Test
    void image_that_skopeo_put_in_the_registry_is_pulled_byte_for_byte() throws Exception {
        Path skopeo = ExternalTools.require("skopeo", "skopeo");
        Path home = home("home");
        String ours = registry.host() + "/source/iris:1";
        TestImages.hello(ImageStore.open(home), ours, "from skopeo", 64 * 1024, 4);
        assertThat(modelgate(home, "push", "--plain-http", ours).status()).isZero();
        // skopeo writes two images of its own: an OCI copy through an OCI layout, and a Docker schema 2 conversion.
        Path layout = tmp.resolve("oci");
        Processes.runOk(List.of(skopeo.toString(), "copy", "--src-tls-verify=false", "docker://" + ours, "oci:" + layout + ":img"));
        String oci = registry.host() + "/skopeo/oci:1";
        Processes.runOk(List.of(skopeo.toString(), "copy", "--dest-tls-verify=false", "oci:" + layout + ":img", "docker://" + oci));
        String docker = registry.host() + "/skopeo/v2s2:1";
        Processes.runOk(List.of(skopeo.toString(), "copy", "--format", "v2s2", "--src-tls-verify=false", "--dest-tls-verify=false",
                "docker://" + ours, "docker://" + docker));
        // This home reaches the registry over HTTP because config.json lists it, not because of --plain-http.
        Path puller = Files.createDirectories(tmp.resolve("puller"));
        Files.writeString(puller.resolve("config.json"), "{\"insecureRegistries\":[\"" + registry.host() + "\"]}");

        for (String ref : List.of(oci, docker)) {
            Run pull = modelgate(puller, "pull", ref);

            assertThat(pull.status()).as(pull.err()).isZero();
            String expected = sha256Raw("docker://" + ref);
            assertThat(pull.lastLine()).isEqualTo(expected);
            ImageStore store = ImageStore.open(puller);
            StoredImage pulled = store.resolve(ref);
            assertThat(pulled.digest()).hasToString(expected);
            for (Descriptor blob : pulled.manifest().layers()) {
                assertThat(store.readBlob(blob.digest())).hasSize((int) blob.size()); // readBlob verifies the digest
            }
            assertThat(store.readBlob(pulled.manifest().config().digest())).isNotEmpty();
        }
        assertThat(ImageStore.open(puller).resolve(docker).manifestDescriptor().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    }

    @Test
    void pull_of_an_index_takes_the_host_platform_and_pull_by_digest_works() throws Exception {
        Path skopeo = ExternalTools.require("skopeo", "skopeo");
        ImageStore source = ImageStore.open(tmp.resolve("source"));
        StoredImage image = TestImages.hello(source, "multi:1", "multi", 0, 5);
        // An OCI layout with an index over our manifest (for this host) and a second one for another architecture.
        StoredImage other = TestImages.hello(source, "other:1", "other arch", 0, 6);
        Path layout = Files.createDirectories(tmp.resolve("layout/blobs/sha256")).getParent().getParent();
        for (StoredImage i : List.of(image, other)) {
            for (Digest d : List.of(i.digest(), i.manifest().config().digest(), i.manifest().layers().get(0).digest())) {
                Files.copy(source.blobPath(d), layout.resolve("blobs/sha256/" + d.hex()));
            }
        }
        String otherArch = Descriptor.Platform.hostArchitecture().equals("arm64") ? "amd64" : "arm64";
        byte[] index = Json.write(ImageIndex.of(List.of(
                new Descriptor(MediaTypes.OCI_MANIFEST, other.digest(), other.manifestDescriptor().size(), Map.of(),
                        new Descriptor.Platform(otherArch, "linux", null)),
                new Descriptor(MediaTypes.OCI_MANIFEST, image.digest(), image.manifestDescriptor().size(), Map.of(), Descriptor.Platform.host()))));
        Digest indexDigest = Digest.sha256(index);
        Files.write(layout.resolve("blobs/sha256/" + indexDigest.hex()), index);
        Files.writeString(layout.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.write(layout.resolve("index.json"), Json.write(ImageIndex.of(List.of(
                Descriptor.of(MediaTypes.OCI_INDEX, indexDigest, index.length).withAnnotations(Map.of(ImageStore.REF_NAME, "multi"))))));
        String ref = registry.host() + "/multi/iris:1";
        Processes.runOk(List.of(skopeo.toString(), "copy", "--all", "--dest-tls-verify=false", "oci:" + layout + ":multi", "docker://" + ref));
        assertThat(sha256Raw("docker://" + ref)).isEqualTo(indexDigest.toString());
        Path home = home("home");

        Run byTag = modelgate(home, "pull", "--plain-http", ref);
        Run byDigest = modelgate(home, "pull", "--plain-http", registry.host() + "/multi/iris@" + other.digest());

        assertThat(byTag.status()).as(byTag.err()).isZero();
        assertThat(byTag.lastLine()).isEqualTo(image.digest().toString());
        assertThat(ImageStore.open(home).resolve(ref).digest()).isEqualTo(image.digest());
        assertThat(byDigest.status()).as(byDigest.err()).isZero();
        assertThat(ImageStore.open(home).resolve(registry.host() + "/multi/iris@" + other.digest()).ref().toString())
                .endsWith("@" + other.digest());
        assertThat(ImageStore.open(home).list()).extracting(t -> t.ref().toString())
                .contains(registry.host() + "/multi/iris:sha256-" + other.digest().hex());
    }

    @Test
    void pull_of_a_blob_the_registry_corrupted_fails_and_tags_nothing() throws Exception {
        Path home = home("home");
        String ref = registry.host() + "/tampered/iris:1";
        StoredImage image = TestImages.hello(ImageStore.open(home), ref, "original content", 0, 7);
        assertThat(modelgate(home, "push", "--plain-http", ref).status()).isZero();
        Digest layer = image.manifest().layers().get(0).digest();
        try (RandomAccessFile data = new RandomAccessFile(registry.blobData(layer.toString()).toFile(), "rw")) {
            data.seek(data.length() / 2);
            int b = data.read();
            data.seek(data.length() / 2);
            data.write(b ^ 0xff); // same length, different bytes: only the digest can tell
        }
        Path puller = home("puller");

        Run pull = modelgate(puller, "pull", "--plain-http", ref);

        assertThat(pull.status()).isEqualTo(1);
        assertThat(pull.err()).contains("pull " + ref + ": registry sent blob " + layer + " with content that hashes to something else")
                .contains("nothing was tagged");
        ImageStore store = ImageStore.open(puller);
        assertThat(store.list()).isEmpty();
        assertThat(store.hasBlob(layer)).isFalse();
    }

    @Test
    void push_to_an_http_registry_without_plain_http_says_how_to_reach_it() throws Exception {
        Path home = home("home");
        String ref = registry.host() + "/tls/iris:1";
        TestImages.hello(ImageStore.open(home), ref, "tls", 0, 8);

        Run push = modelgate(home, "push", ref);

        assertThat(push.status()).isEqualTo(1);
        assertThat(push.err()).contains("push " + ref + ": TLS with registry " + registry.host() + " failed")
                .contains("use --plain-http");
    }

    @Test
    void basic_auth_login_checks_and_stores_credentials_that_push_and_pull_use() throws Exception {
        Path htpasswd = tmp.resolve("htpasswd");
        Processes.Result entry = Processes.runOk(List.of(ExternalTools.require("htpasswd", "apache2-utils").toString(),
                "-Bbn", "alice", "wonderland"));
        Files.writeString(htpasswd, entry.stdout().strip() + "\n");
        try (RegistryServer secured = RegistryServer.in(tmp.resolve("secured")).htpasswd(htpasswd).start()) {
            Path home = home("home");
            String ref = secured.host() + "/private/iris:1";
            StoredImage image = TestImages.hello(ImageStore.open(home), ref, "secret model", 0, 9);

            Run anonymous = modelgate(home, "push", "--plain-http", ref);
            Run wrong = modelgate(home, "login", "--plain-http", "-u", "alice", "-p", "queen", secured.host());
            Run right = loginWithStdin(home, secured.host(), "alice", "wonderland\n");
            Run push = modelgate(home, "push", "--plain-http", ref);

            assertThat(anonymous.status()).isEqualTo(1);
            assertThat(anonymous.err()).contains("push " + ref + ": registry refused blob check")
                    .contains("with 401 Unauthorized").contains("run 'modelgate login " + secured.host() + "'");
            assertThat(wrong.status()).isEqualTo(1);
            assertThat(wrong.err()).contains("login " + secured.host() + ": registry refused the API check GET /v2/ with 401")
                    .contains("the credentials of user 'alice' were not accepted");
            assertThat(right.status()).as(right.err()).isZero();
            assertThat(right.out()).contains("Login Succeeded");
            Path auth = home.resolve("auth.json");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(auth))).isEqualTo("rw-------");
            assertThat(Json.mapper().readTree(auth.toFile()).path("auths").path(secured.host()).path("auth").asText())
                    .isEqualTo("YWxpY2U6d29uZGVybGFuZA==");
            assertThat(push.status()).as(push.err()).isZero();

            Path other = home("other");
            assertThat(modelgate(other, "login", "--plain-http", "-u", "alice", "-p", "wonderland", secured.host()).status()).isZero();
            Run pull = modelgate(other, "pull", "--plain-http", ref);
            assertThat(pull.status()).as(pull.err()).isZero();
            assertThat(pull.lastLine()).isEqualTo(image.digest().toString());
        }
    }

    private static Run loginWithStdin(Path home, String host, String user, String stdin) {
        InputStream saved = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            return modelgate(home, "login", "--plain-http", "-u", user, "--password-stdin", host);
        } finally {
            System.setIn(saved);
        }
    }

    @Test
    void bearer_token_auth_of_the_real_registry_gets_tokens_per_scope() throws Exception {
        try (TokenServer tokens = TokenServer.start(tmp.resolve("tokens"), "bob", "builder");
             RegistryServer secured = RegistryServer.in(tmp.resolve("secured")).token(tokens).start()) {
            Path home = home("home");
            ImageStore store = ImageStore.open(home);
            String ref = secured.host() + "/tok/iris:1";
            StoredImage image = TestImages.hello(store, ref, "token model", 0, 10);

            Run wrong = modelgate(home, "login", "--plain-http", "-u", "bob", "-p", "nope", secured.host());
            Run right = modelgate(home, "login", "--plain-http", "-u", "bob", "-p", "builder", secured.host());
            Run push = modelgate(home, "push", "--plain-http", ref);
            store.tag(ImageRef.parse(secured.host() + "/tok/copy:1"), image.manifestDescriptor());
            Run mount = modelgate(home, "push", "--plain-http", secured.host() + "/tok/copy:1");
            Run pull = modelgate(home("puller"), "pull", "--plain-http", ref);

            assertThat(wrong.status()).isEqualTo(1);
            assertThat(wrong.err()).contains("login " + secured.host() + ": token service at " + tokens.realm() + " refused")
                    .contains("401 UNAUTHORIZED: invalid user name or password");
            assertThat(right.status()).as(right.err()).isZero();
            assertThat(push.status()).as(push.err()).isZero();
            assertThat(mount.status()).as(mount.err()).isZero();
            assertThat(count(mount.err(), " mounted")).isEqualTo(2);
            assertThat(pull.status()).isEqualTo(1); // the puller has no credentials
            assertThat(pull.err()).contains("pull " + ref + ": token service at " + tokens.realm() + " refused");
            // The registry lists a scope's actions in no fixed order; a mount's challenge names both repositories.
            assertThat(tokens.queries())
                    .anyMatch(q -> q.matches("service=modelgate-test-registry&scope=repository:tok/iris:(pull,push|push,pull)&account=bob"))
                    .anyMatch(q -> q.matches(".*scope=repository:tok/copy:(pull,push|push,pull).*") && q.contains("scope=repository:tok/iris:pull"));
        }
    }

    @Test
    void read_only_registry_refusal_names_the_operation_and_the_refused_request() throws Exception {
        try (RegistryServer readOnly = RegistryServer.in(tmp.resolve("ro")).readOnly().start()) {
            Path home = home("home");
            String ref = readOnly.host() + "/ro/iris:1";
            TestImages.hello(ImageStore.open(home), ref, "read only", 0, 11);

            Run push = modelgate(home, "push", "--plain-http", ref);

            assertThat(push.status()).isEqualTo(1);
            assertThat(push.err()).matches("(?s).*modelgate: error: push " + Pattern.quote(ref)
                    + ": registry refused blob upload sha256:[0-9a-f]{64} \\(opening the upload session\\) with 405 .*");
        }
    }

    @Test
    void registry_that_dies_mid_push_gives_a_clear_error() throws Exception {
        try (RegistryServer dying = RegistryServer.in(tmp.resolve("dying")).start()) {
            ImageStore store = ImageStore.open(tmp.resolve("home"));
            String ref = dying.host() + "/dies/iris:1";
            StoredImage image = TestImages.hello(store, ref, "doomed", 8 * MiB, 12);
            RegistryClient client = RegistryClient.to(dying.host()).transport(Transport.PLAIN_HTTP).credentials(Optional.empty())
                    .chunkedUploads(MiB, MiB).build();

            assertThatThrownBy(() -> client.push(store, image, ImageRef.parse(ref), p -> {
                if (p.stage() == BlobProgress.Stage.PUSHING && p.transferred() > 0) {
                    dying.kill();
                }
            }))
                    .isInstanceOf(RegistryException.class)
                    .satisfies(e -> {
                        Matcher m = Pattern.compile("^push " + Pattern.quote(ref) + ": (the connection to registry|cannot connect to registry) "
                                + Pattern.quote(dying.host()) + " .*blob upload sha256:[0-9a-f]{64}").matcher(e.getMessage());
                        assertThat(m.find()).as(e.getMessage()).isTrue();
                        assertThat(((RegistryException) e).status()).isZero();
                    });
            assertThat(dying.isAlive()).isFalse();
        }
    }
}
