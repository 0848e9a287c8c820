package io.modelgate.gateway;

import io.modelgate.gateway.route.InferenceListener;
import io.modelgate.gateway.testing.Await;
import io.modelgate.gateway.testing.Iris;
import io.modelgate.gateway.testing.ModelsApi;
import io.modelgate.gateway.testing.Prometheus;
import io.modelgate.gateway.testing.Replicas;
import io.modelgate.gateway.testing.TestHome;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.testing.TestRuntimeCleanup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole path with real containers: examples/iris packed into the gateway's home, deployed with POST /models at
 * zero replicas, and a prediction through POST /v2/models/iris/infer that starts a replica (cold start), probes it
 * and routes to it. Needs root (containers) and model-server's build output (modelgate.server.dist).
 */
@QuarkusTest
@TestProfile(GatewayIT.ReconcilerOn.class)
@ExtendWith(TestRuntimeCleanup.class)
class GatewayIT {
    public static class ReconcilerOn implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("modelgate.reconciler.enabled", "true", "modelgate.tick", "500ms");
        }
    }

    static Path home;

    @Inject
    InferenceListener inference;

    /** What a real Prometheus, scraping this gateway's /q/metrics every second, gives for {@code query}. */
    static double prometheusQuery(String query) throws Exception {
        try (Prometheus prometheus = Prometheus.scraping(RestAssured.port)) {
            return prometheus.awaitValue(query);
        }
    }

    @BeforeAll
    static void packIris() {
        home = TestHome.configured();
        Iris.pack(home);
    }

    @Test
    void deploys_iris_and_predicts_through_the_gateway_from_zero_replicas() throws Exception {
        ModelsApi.authed().contentType(ContentType.JSON)
                .body("{\"name\":\"iris\",\"image\":\"iris:1\",\"minReplicas\":0,\"maxReplicas\":2,"
                        + "\"containerConcurrency\":4,\"resources\":{\"cpus\":1,\"memory\":\"512Mi\"}}")
                .when().post("/models").then().statusCode(202);
        try {
            long start = System.nanoTime();
            Response answer = Iris.inferOnceDeployed("iris");
            System.out.printf("iris through the gateway from zero replicas: %d ms%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(200);
            List<Map<String, Object>> outputs = answer.jsonPath().getList("outputs");
            assertThat(outputs).extracting(o -> o.get("name")).contains("label");

            ModelsApi.authed().get("/models/iris").then().statusCode(200)
                    .body("status.readyReplicas", org.hamcrest.Matchers.equalTo(1));
            // the same replica through the inference port (the data plane alone on a port of its own)
            Iris.assertPredictsSetosaAndVirginica(given().port(inference.port().orElseThrow())
                    .contentType(ContentType.JSON).body(Iris.request()).post("/v2/models/iris/infer"));

            String metrics = given().get("/q/metrics").asString();
            assertThat(metrics).contains("modelgate_requests_total{model=\"iris\",outcome=\"served\"}")
                    .contains("modelgate_replicas_ready{model=\"iris\"} 1.0")
                    .contains("modelgate_requests_inflight{model=\"iris\"} 0.0");
            assertThat(prometheusQuery("modelgate_requests_total{model=\"iris\",outcome=\"served\"}"))
                    .as("what a real Prometheus scraped from /q/metrics").isGreaterThanOrEqualTo(1.0);

            // a replica that dies is taken out and replaced (desired stays 1 within the scale-to-zero grace)
            Containers containers = Containers.open(home);
            String first = Replicas.names(containers, "iris").get(0);
            containers.kill(first, 9);
            Response again = null;
            for (int i = 0; i < 300; i++) {
                again = Iris.infer("iris");
                if (again.statusCode() == 200 && !Replicas.running(containers, "iris").contains(first)
                        && Replicas.running(containers, "iris").size() == 1) {
                    break;
                }
                TimeUnit.MILLISECONDS.sleep(100);
            }
            assertThat(again.statusCode()).as(again.asString()).isEqualTo(200);
            assertThat(Replicas.running(containers, "iris")).hasSize(1).doesNotContain(first);
            ModelsApi.authed().get("/models/iris").then()
                    .body("status.lastExit", org.hamcrest.Matchers.containsString(first + " exited"))
                    .body("status.replicaExits", org.hamcrest.Matchers.equalTo(1))
                    // the killed replica's container is gone, its last words kept: the server's start-up lines
                    .body("status.replicas[0].lastOutput.replica", org.hamcrest.Matchers.equalTo(first))
                    .body("status.replicas[0].lastOutput.lines", org.hamcrest.Matchers.hasItem(
                            org.hamcrest.Matchers.containsString("listening on")));
        } finally {
            ModelsApi.authed().when().delete("/models/iris").then().statusCode(204);
        }
        Containers containers = Containers.open(home);
        Await.until("replicas removed after DELETE", 20, () -> Replicas.of(containers, "iris").isEmpty());
    }

    @Test
    void scales_out_under_load_and_back_in_when_it_stops() throws Exception {
        // a deployment name other than the image's model name: the gateway maps /v2/models/flower to the replica's iris
        ModelsApi.authed().contentType(ContentType.JSON)
                .body("{\"name\":\"flower\",\"image\":\"iris:1\",\"minReplicas\":1,\"maxReplicas\":2,"
                        + "\"containerConcurrency\":1,\"autoscaling\":{\"stableWindow\":\"6s\"}}")
                .when().post("/models").then().statusCode(202);
        try {
            assertThat(awaitReady("flower", 1, 60)).isEqualTo(1);
            java.util.concurrent.atomic.AtomicBoolean loading = new java.util.concurrent.atomic.AtomicBoolean(true);
            java.util.concurrent.ConcurrentHashMap<Integer, java.util.concurrent.atomic.AtomicInteger> statuses =
                    new java.util.concurrent.ConcurrentHashMap<>();
            List<Thread> clients = new java.util.ArrayList<>();
            for (int c = 0; c < 4; c++) {
                Thread t = new Thread(() -> {
                    while (loading.get()) {
                        int status = Iris.infer("flower").statusCode();
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
            ModelsApi.authed().when().delete("/models/flower").then().statusCode(204);
        }
    }

    /** Polls GET /models/{name} until readyReplicas is {@code want}; returns the last count seen. */
    private static int awaitReady(String model, int want, int seconds) throws InterruptedException {
        int ready = -1;
        for (int i = 0; i < seconds * 10; i++) {
            ready = ModelsApi.readyReplicas(model);
            if (ready == want) {
                return ready;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        return ready;
    }
}
