package io.modelgate.gateway;

import io.modelgate.gateway.logs.ReplicaLogs;
import io.modelgate.gateway.testing.Await;
import io.modelgate.gateway.testing.Iris;
import io.modelgate.gateway.testing.ModelsApi;
import io.modelgate.gateway.testing.Replicas;
import io.modelgate.gateway.testing.TestHome;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Processes;
import io.modelgate.packager.testing.RegistryServer;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.testing.TestRuntimeCleanup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import io.restassured.config.HttpClientConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.hamcrest.Matchers.containsString;

/**
 * Where deployments come from, with real parts: an iris image pushed to Debian's docker-registry (Basic auth, the
 * credentials stored by 'modelgate login'), removed from the gateway's store and deployed by its registry reference
 * (pulled); examples/iris uploaded to POST /models as a tar
 * and packed on the fly; and the replicas' output through GET /models/{name}/logs, followed while a replacement
 * replica starts. Needs root (containers), docker-registry, htpasswd and model-server's build output (modelgate.server.dist).
 */
@QuarkusTest
@TestProfile(GatewayIT.ReconcilerOn.class)
@ExtendWith(TestRuntimeCleanup.class)
class SourcesIT {
    static Path home;

    @Inject
    ReplicaLogs logs;

    @BeforeAll
    static void needs() {
        home = TestHome.configured();
    }

    private static String cli(String... args) {
        return TestHome.cli(home, args);
    }

    @Test
    void deploys_an_image_pulled_from_a_registry_with_the_stored_credentials_and_predicts(@TempDir Path tmp) throws Exception {
        Path config = home.resolve("config.json");
        Path auth = home.resolve("auth.json");
        assumeThat(config).as("the test writes the home's registry settings").doesNotExist();
        assumeThat(auth).as("the test logs the home in to its registry").doesNotExist();
        Path htpasswd = tmp.resolve("htpasswd");
        Files.writeString(htpasswd, Processes.runOk(List.of(ExternalTools.require("htpasswd", "apache2-utils").toString(),
                "-Bbn", "alice", "wonderland")).stdout().strip() + "\n");
        try (RegistryServer registry = RegistryServer.in(tmp).htpasswd(htpasswd).start()) {
            String ref = registry.host() + "/iris:1";
            cli("login", "--plain-http", "-u", "alice", "-p", "wonderland", registry.host());
            cli("pack", "-t", ref, Iris.DIR.toString());
            cli("push", "--plain-http", ref);
            cli("rmi", ref);
            assertThat(ImageStore.open(home).find(ref)).as("gone from the gateway's store").isEmpty();
            // the registry speaks plain HTTP: the home's settings say so, as 'modelgate pull' reads them
            Files.writeString(config, "{\"insecureRegistries\": [\"" + registry.host() + "\"]}");

            // a tag the registry does not have: refused before anything is stored
            ModelsApi.authed().contentType(ContentType.JSON).body("{\"name\":\"regpull\",\"image\":\"" + registry.host() + "/iris:404\"}")
                    .post("/models").then().statusCode(400).contentType("application/problem+json")
                    .body("field", org.hamcrest.Matchers.equalTo("image"))
                    .body("detail", containsString("the registry has no image '" + registry.host() + "/iris:404'"));
            assertThat(ImageStore.open(home).find(registry.host() + "/iris:404")).isEmpty();
            ModelsApi.authed().get("/models/regpull").then().statusCode(404);

            // without the credentials 'modelgate login' stored, the registry refuses
            Path aside = Files.move(auth, tmp.resolve("auth.json"));
            ModelsApi.authed().contentType(ContentType.JSON).body("{\"name\":\"regpull\",\"image\":\"" + ref + "\"}")
                    .post("/models").then().statusCode(400).body("field", org.hamcrest.Matchers.equalTo("image"))
                    .body("detail", containsString("modelgate login " + registry.host()));
            Files.move(aside, auth);

            ModelsApi.authed().contentType(ContentType.JSON)
                    .body("{\"name\":\"regpull\",\"image\":\"" + ref + "\",\"minReplicas\":1,\"maxReplicas\":1}")
                    .post("/models").then().statusCode(202);
            try {
                assertThat(ImageStore.open(home).find(ref)).as("pulled into the store").isPresent();
                assertThat(registry.log()).contains("GET /v2/iris/manifests/1");
                Response answer = Iris.inferOnceDeployed("regpull");
                assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(200);
                Iris.assertPredictsSetosaAndVirginica(answer);
            } finally {
                ModelsApi.authed().delete("/models/regpull").then().statusCode(204);
                awaitNoReplicas("regpull");
            }
        } finally {
            Files.deleteIfExists(config);
            Files.deleteIfExists(auth);
        }
    }

    @Test
    void deploys_an_uploaded_model_directory_and_shows_and_follows_its_logs() throws Exception {
        byte[] tar = tarOf(Iris.DIR);
        long start = System.nanoTime();
        // the first pack in a home builds the built-in server's runtime (jlink): longer than REST Assured's 30 s default
        ModelsApi.authed().config(RestAssured.config().httpClient(HttpClientConfig.httpClientConfig()
                        .setParam("http.socket.timeout", (int) TimeUnit.MINUTES.toMillis(5))))
                .contentType("application/x-tar").body(tar)
                .queryParam("name", "upload").queryParam("tag", "iris-upload:1").queryParam("minReplicas", "1")
                .queryParam("maxReplicas", "1").queryParam("memory", "512Mi")
                .post("/models").then().statusCode(202).body("image", org.hamcrest.Matchers.equalTo("iris-upload:1"));
        System.out.printf("examples/iris uploaded (%d bytes of tar), packed and stored: %d ms%n", tar.length,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        try (Stream<Path> left = Files.list(home.resolve("uploads"))) {
            assertThat(left).as("the unpacked upload is removed").isEmpty();
        }
        try {
            Response answer = Iris.inferOnceDeployed("upload");
            assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(200);
            Iris.assertPredictsSetosaAndVirginica(answer);

            Containers containers = Containers.open(home);
            String first = Replicas.running(containers, "upload").get(0);
            // the built-in server's start-up line, tagged with the replica's name
            String all = ModelsApi.authed().get("/models/upload/logs").then().statusCode(200).extract().asString();
            assertThat(all).contains(first + " | ").contains("listening on");
            String one = ModelsApi.authed().get("/models/upload/logs?tail=1&replica=" + first).then().statusCode(200).extract().asString();
            assertThat(one.lines()).hasSize(1).allMatch(l -> l.startsWith(first + " | "));

            // follow: the replica is killed, the gateway starts another, and that one's start-up line arrives
            try (Socket follower = follow("upload")) {
                InputStream in = follower.getInputStream();
                StringBuilder seen = new StringBuilder();
                readUntil(in, seen, s -> s.contains(first + " | "), 20);
                assertThat(logs.followers()).isEqualTo(1);
                containers.kill(first, 9);
                readUntil(in, seen, s -> s.lines().anyMatch(l -> !l.contains(first) && l.matches(".*upload-[0-9a-f]{6} \\| .*listening on.*")), 120);
            }
            // the client went away: the stream's timer stops
            awaitFollowers(0);

            // a stream ends when the deployment is deleted
            try (Socket follower = follow("upload")) {
                StringBuilder seen = new StringBuilder();
                readUntil(follower.getInputStream(), seen, s -> s.contains("listening on"), 20);
                ModelsApi.authed().delete("/models/upload").then().statusCode(204);
                readUntil(follower.getInputStream(), seen, s -> s.endsWith("0\r\n\r\n"), 20);
            }
            awaitFollowers(0);
        } finally {
            ModelsApi.authed().delete("/models/upload");
            awaitNoReplicas("upload");
        }
    }

    private static Socket follow(String model) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), RestAssured.port);
        s.setSoTimeout(1000);
        OutputStream out = s.getOutputStream();
        out.write(("GET /models/" + model + "/logs?follow=true HTTP/1.1\r\nHost: localhost\r\n"
                + "Authorization: Bearer " + ModelsApi.TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    /** Reads the raw (chunked) response into {@code seen} until {@code done} holds for it, or fails after the timeout. */
    private static void readUntil(InputStream in, StringBuilder seen, Predicate<String> done, int seconds) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        byte[] buf = new byte[8192];
        while (!done.test(seen.toString())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not seen within " + seconds + " s; the stream so far:\n" + seen);
            }
            try {
                int n = in.read(buf);
                if (n < 0) {
                    throw new AssertionError("the stream closed; it said:\n" + seen);
                }
                seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            } catch (java.net.SocketTimeoutException nothingYet) {
                // keep waiting
            }
        }
    }

    private void awaitFollowers(int n) throws InterruptedException {
        for (int i = 0; i < 100 && logs.followers() != n; i++) {
            TimeUnit.MILLISECONDS.sleep(100);
        }
        assertThat(logs.followers()).as("open follow streams").isEqualTo(n);
    }

    private static void awaitNoReplicas(String deployment) throws Exception {
        Containers containers = Containers.open(home);
        Await.until("replicas of " + deployment + " removed after DELETE", 30,
                () -> Replicas.of(containers, deployment).isEmpty());
    }

    /** The directory's regular files as a tar with names relative to it, as 'tar -C DIR -cf - .' makes. */
    private static byte[] tarOf(Path dir) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes); Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                TarArchiveEntry e = new TarArchiveEntry(p.toFile(), "./" + dir.relativize(p));
                out.putArchiveEntry(e);
                Files.copy(p, out);
                out.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
