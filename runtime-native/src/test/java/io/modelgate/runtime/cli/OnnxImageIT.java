package io.modelgate.runtime.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Cli;
import io.modelgate.packager.testing.Cli.Run;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * examples/iris packed with {@code server: {type: onnx}} and run as a container, as the README shows: the image
 * brings its own Java runtime, ONNX Runtime and system libraries, and answers the Open Inference Protocol.
 * Needs root (the container) and the built-in server's build output (model-server/target, built before this module).
 */
@org.junit.jupiter.api.extension.ExtendWith(io.modelgate.runtime.testing.TestRuntimeCleanup.class)
class OnnxImageIT {
    private static final Path IRIS = Path.of("..", "examples", "iris").toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    static Path tmp;
    static Path home;
    static String base;
    static Duration startToReady;

    @BeforeAll
    static void packAndRun() throws Exception {
        ExternalTools.requireRoot();
        home = tmp.resolve("home");
        Run pack = cli("pack", IRIS.toString());
        assertThat(pack.status()).as(pack.err()).isZero();
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        long start = System.nanoTime();
        Run run = cli("run", "-d", "--name", "iris", "-p", port + ":8080", "iris:1");
        assertThat(run.status()).as(run.err()).isZero();
        base = "http://127.0.0.1:" + port;
        for (int i = 0; i < 1000; i++) {
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v2/health/ready")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                // starting
            }
            TimeUnit.MILLISECONDS.sleep(5);
        }
        startToReady = Duration.ofNanos(System.nanoTime() - start);
        System.out.println("iris container: run to ready in " + startToReady.toMillis() + " ms");
    }

    @AfterAll
    static void remove() {
        if (home != null) {
            cli("rm", "-f", "iris");
        }
    }

    static Run cli(String... args) {
        return Cli.inHome(home, args);
    }

    private static HttpResponse<String> post(String path, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void predicts_all_150_iris_rows_as_the_training_script_did() throws Exception {
        List<String> rows = Files.readAllLines(IRIS.resolve("iris.csv")).subList(1, 151);
        JsonNode expected = Json.mapper().readTree(IRIS.resolve("expected.json").toFile()).get("labels");
        for (int i = 0; i < rows.size(); i++) {
            String[] f = rows.get(i).split(",");
            String body = "{\"inputs\":[{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":["
                    + f[0] + "," + f[1] + "," + f[2] + "," + f[3] + "]}]}";
            HttpResponse<String> r = post("/v2/models/iris/infer", body);
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            JsonNode outputs = Json.mapper().readTree(r.body()).get("outputs");
            JsonNode label = outputs.get(0).get("name").asText().equals("label") ? outputs.get(0) : outputs.get(1);
            assertThat(label.get("data").get(0).asInt()).as("row " + i).isEqualTo(expected.get(i).asInt());
        }
    }

    @Test
    void runs_on_what_the_image_holds_not_on_the_hosts_jdk() throws Exception {
        JsonNode info = Json.mapper().readTree(cli("inspect", "iris").out()).get(0);
        long pid = info.get("pid").asLong();
        Path root = Path.of("/proc", String.valueOf(pid), "root");
        assertThat(Files.readSymbolicLink(Path.of("/proc", String.valueOf(pid), "exe")).toString())
                .isEqualTo("/opt/modelgate/jre/bin/java");
        assertThat(root.resolve("opt/modelgate/jre/lib/server/libjvm.so")).exists();
        assertThat(root.resolve("usr/lib/jvm")).as("no JDK of the host's in the container").doesNotExist();
        assertThat(root.resolve("bin/sh")).as("no shell either: only what the server needs").doesNotExist();
        String maps = Files.readString(Path.of("/proc", String.valueOf(pid), "maps"));
        assertThat(maps).contains("/opt/modelgate/jre/lib/server/libjvm.so").doesNotContain("/usr/lib/jvm/");
        JsonNode image = Json.mapper().readTree(cli("inspect", "iris:1").out()).get(0);
        assertThat(image.at("/config/config/Labels/io.modelgate.base.packages").asText()).contains("libc6=");
    }

    @Test
    void answers_bad_requests_with_400_and_keeps_serving() throws Exception {
        String good = Files.readString(IRIS.resolve("request.json"));
        byte[] garbage = new byte[10 * 1024 * 1024];
        new Random(1).nextBytes(garbage);
        List<String[]> cases = List.of(
                new String[] {"{\"inputs\":[{\"name\":\"nope\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}", "nope"},
                new String[] {"{\"inputs\":[{\"name\":\"float_input\",\"shape\":[1,4],\"datatype\":\"INT64\",\"data\":[1,2,3,4]}]}", "FP32"},
                new String[] {"{\"inputs\":[{\"name\":\"float_input\",\"shape\":[1,3],\"datatype\":\"FP32\",\"data\":[1,2,3]}]}", "shape"},
                new String[] {"{\"inputs\":[{\"name\":", "JSON"});
        for (String[] c : cases) {
            HttpResponse<String> r = post("/v2/models/iris/infer", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(r.body()).contains("\"error\"").containsIgnoringCase(c[1]);
            assertThat(post("/v2/models/iris/infer", good).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> big = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/v2/models/iris/infer"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(garbage)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(big.statusCode()).isEqualTo(400);
        assertThat(post("/v2/models/iris/infer", good).statusCode()).isEqualTo(200);
    }
}
