package io.modelgate.gateway;

import io.modelgate.packager.cli.Main;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The whole path with real containers: examples/iris packed into the gateway's home, deployed with POST /models at
 * zero replicas, and a prediction through POST /v2/models/iris/infer that starts a replica (cold start), probes it
 * and routes to it. Needs root (containers) and model-server's build output (modelgate.server.dist).
 */
@QuarkusTest
@TestProfile(GatewayIT.ReconcilerOn.class)
class GatewayIT {
    private static final Path IRIS = Path.of("..", "examples", "iris").toAbsolutePath().normalize();

    public static class ReconcilerOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("modelgate.reconciler.enabled", "true", "modelgate.tick", "500ms");
        }
    }

    static Path home;

    /**
     * The tests' own bridge and parent cgroups (see the failsafe configuration) go once the replicas are gone, so a
     * test run leaves no network device or cgroup directory behind.
     */
    @org.junit.jupiter.api.AfterAll
    static void removeTestNetworkAndCgroups() throws Exception {
        String bridge = System.getProperty("modelgate.bridge");
        if (bridge != null && !bridge.equals("modelgate0")) {
            Process p = new ProcessBuilder("ip", "link", "del", "dev", bridge).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor();
        }
        String parent = System.getProperty("modelgate.cgroupParent");
        if (parent != null && !parent.equals("modelgate")) {
            try (var roots = java.nio.file.Files.list(java.nio.file.Path.of("/sys/fs/cgroup"))) {
                for (java.nio.file.Path root : roots.toList()) {
                    try {
                        java.nio.file.Files.deleteIfExists(root.resolve(parent));
                    } catch (java.io.IOException stillInUse) {
                        // a replica is still stopping; nothing more to do here
                    }
                }
            }
        }
    }

    /**
     * Starts Debian's Prometheus on loopback scraping this gateway's /q/metrics every second, and returns the
     * value its query API gives for {@code query} once it has one (the server is stopped before returning).
     */
    static double prometheusQuery(String query) throws Exception {
        Path prometheus = ExternalTools.require("prometheus", "prometheus");
        Path dir = Files.createTempDirectory("prometheus");
        int port;
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("prometheus.yml"), "global: {scrape_interval: 1s}\n"
                + "scrape_configs:\n  - job_name: modelgate\n    metrics_path: /q/metrics\n"
                + "    static_configs: [{targets: ['127.0.0.1:" + io.restassured.RestAssured.port + "']}]\n");
        Process server = new ProcessBuilder(prometheus.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        try {
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            String url = "http://127.0.0.1:" + port + "/api/v1/query?query="
                    + java.net.URLEncoder.encode(query, java.nio.charset.StandardCharsets.UTF_8);
            for (int i = 0; i < 300; i++) {
                try {
                    var body = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                    var result = io.restassured.path.json.JsonPath.from(body).getList("data.result.value");
                    if (result != null && !result.isEmpty()) {
                        return Double.parseDouble(String.valueOf(((List<?>) result.get(0)).get(1)));
                    }
                } catch (java.io.IOException notYet) {
                    // Prometheus is still starting
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            throw new AssertionError("Prometheus has no value for " + query + " after 30 s; its log: "
                    + Files.readString(dir.resolve("log")));
        } finally {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) {
                server.destroyForcibly();
            }
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    @BeforeAll
    static void packIris() throws Exception {
        ExternalTools.requireRoot();
        String configured = System.getProperty("modelgate.home");
        assumeThat(configured).as("modelgate.home (set by the failsafe configuration)").isNotNull();
        home = Path.of(configured);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] argv = {"--home", home.toString(), "pack", IRIS.toString()};
        int status = Main.execute(new PrintWriter(out), new PrintWriter(err), argv);
        assertThat(status).as(err.toString()).isZero();
    }

    @Test
    void deploys_iris_and_predicts_through_the_gateway_from_zero_replicas() throws Exception {
        given().header("Authorization", "Bearer test-token").contentType(ContentType.JSON)
                .body("{\"name\":\"iris\",\"image\":\"iris:1\",\"minReplicas\":0,\"maxReplicas\":2,"
                        + "\"containerConcurrency\":4,\"resources\":{\"cpus\":1,\"memory\":\"512Mi\"}}")
                .when().post("/models").then().statusCode(202);
        try {
            String request = Files.readString(IRIS.resolve("request.json"));
            Response answer = null;
            long start = System.nanoTime();
            for (int i = 0; i < 600; i++) {
                answer = given().contentType(ContentType.JSON).body(request).post("/v2/models/iris/infer");
                if (answer.statusCode() != 404) {
                    break; // 404 only until the gateway has registered the deployment
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            System.out.printf("iris through the gateway from zero replicas: %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(200);
            List<Map<String, Object>> outputs = answer.jsonPath().getList("outputs");
            assertThat(outputs).extracting(o -> o.get("name")).contains("label");

            given().header("Authorization", "Bearer test-token").get("/models/iris").then().statusCode(200)
                    .body("status.readyReplicas", org.hamcrest.Matchers.equalTo(1));

            String metrics = given().get("/q/metrics").asString();
            assertThat(metrics).contains("modelgate_requests_total{model=\"iris\",outcome=\"served\"}")
                    .contains("modelgate_replicas_ready{model=\"iris\"} 1.0")
                    .contains("modelgate_requests_inflight{model=\"iris\"} 0.0");
            assertThat(prometheusQuery("modelgate_requests_total{model=\"iris\",outcome=\"served\"}"))
                    .as("what a real Prometheus scraped from /q/metrics").isGreaterThanOrEqualTo(1.0);

            // a replica that dies is taken out and replaced (desired stays 1 within the scale-to-zero grace)
            Containers containers = Containers.open(home);
            String first = irisReplicas(containers).get(0);
            containers.kill(first, 9);
            Response again = null;
            for (int i = 0; i < 300; i++) {
                again = given().contentType(ContentType.JSON).body(request).post("/v2/models/iris/infer");
                if (again.statusCode() == 200 && !irisRunning(containers).contains(first)
                        && irisRunning(containers).size() == 1) {
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            assertThat(again.statusCode()).as(again.asString()).isEqualTo(200);
            assertThat(irisRunning(containers)).hasSize(1).doesNotContain(first);
            given().header("Authorization", "Bearer test-token").get("/models/iris").then()
                    .body("status.lastExit", org.hamcrest.Matchers.containsString(first + " exited"))
                    .body("status.replicaExits", org.hamcrest.Matchers.equalTo(1));
        } finally {
            given().header("Authorization", "Bearer test-token").when().delete("/models/iris").then().statusCode(204);
        }
        Containers containers = Containers.open(home);
        for (int i = 0; i < 200 && !irisReplicas(containers).isEmpty(); i++) {
            TimeUnit.MILLISECONDS.sleep(100);
        }
        assertThat(irisReplicas(containers)).as("replicas removed after DELETE").isEmpty();
    }

    @Test
    void scales_out_under_load_and_back_in_when_it_stops() throws Exception {
        // a deployment name other than the image's model name: the gateway maps /v2/models/flower to the replica's iris
        given().header("Authorization", "Bearer test-token").contentType(ContentType.JSON)
                .body("{\"name\":\"flower\",\"image\":\"iris:1\",\"minReplicas\":1,\"maxReplicas\":2,"
                        + "\"containerConcurrency\":1,\"autoscaling\":{\"stableWindow\":\"6s\"}}")
                .when().post("/models").then().statusCode(202);
        try {
            assertThat(awaitReady("flower", 1, 60)).isEqualTo(1);
            String request = Files.readString(IRIS.resolve("request.json"));
            java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.ConcurrentHashMap<Integer, java.util.concurrent.atomic.AtomicInteger> statuses =
                    new java.util.concurrent.ConcurrentHashMap<>();
            List<Thread> clients = new java.util.ArrayList<>();
            for (int c = 0; c < 4; c++) {
                Thread t = new Thread(() -> {
                    while (loading.get()) {
                        int status = given().contentType(ContentType.JSON).body(request)
                                .post("/v2/models/flower/infer").statusCode();
                        statuses.computeIfAbsent(status, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
                    }
                });
                t.start();
                clients.add(t);
            }
            int readyUnderLoad;
            try {
                readyUnderLoad = awaitReady("flower", 2, 60);
            } finally {
                loading.set(false);
                for (Thread t : clients) {
                    t.join(30_000);
                }
            }
            System.out.println("flower under load: " + statuses);
            assertThat(readyUnderLoad).as("replicas under 4 concurrent clients at containerConcurrency 1").isEqualTo(2);
            assertThat(statuses.keySet()).as("every request answered 200").containsOnly(200);
            assertThat(awaitReady("flower", 1, 60)).as("back to minReplicas once the load stops").isEqualTo(1);
        } finally {
            given().header("Authorization", "Bearer test-token").when().delete("/models/flower").then().statusCode(204);
        }
    }

    /** Polls GET /models/{name} until readyReplicas is {@code want}; returns the last count seen. */
    private static int awaitReady(String model, int want, int seconds) throws InterruptedException {
        int ready = -1;
        for (int i = 0; i < seconds * 10; i++) {
            Integer r = given().header("Authorization", "Bearer test-token").get("/models/" + model).jsonPath()
                    .get("status.readyReplicas");
            ready = r == null ? -1 : r;
            if (ready == want) {
                return ready;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return ready;
    }

    private static List<String> irisRunning(Containers containers) throws Exception {
        return containers.list(false).stream().filter(ContainerInfo::running).map(ContainerInfo::name)
                .filter(n -> n.startsWith("iris-")).toList();
    }

    private static List<String> irisReplicas(Containers containers) throws Exception {
        return containers.list(true).stream().map(ContainerInfo::name).filter(n -> n.startsWith("iris-")).toList();
    }
}
