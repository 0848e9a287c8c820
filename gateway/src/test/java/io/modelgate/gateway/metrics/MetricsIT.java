package io.modelgate.gateway.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.gateway.testing.Iris;
import io.modelgate.gateway.testing.ModelsApi;
import io.modelgate.gateway.testing.Prometheus;
import io.modelgate.gateway.testing.TestHome;
import io.modelgate.runtime.gpu.FakeNvml;
import io.modelgate.runtime.testing.TestRuntimeCleanup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The metrics of a real deployment, scraped over HTTP from /q/metrics: examples/iris deployed at zero replicas, one
 * prediction that cold-starts a real container, then the cold start, queue wait and per-replica cgroup CPU and memory
 * series, every metric the Grafana dashboard queries, and data in every panel through a real Prometheus; after
 * DELETE, no series of the model or its replica is left. Needs root (containers), model-server's build output and
 * Debian's prometheus. There is no GPU here: NVML is the stand-in library built with gcc from runtime-native's
 * fake-nvml.c (two GPUs with fixed readings), so that the GPU series exist to be checked.
 */
@QuarkusTest
@TestProfile(MetricsIT.RealReplicas.class)
@ExtendWith(TestRuntimeCleanup.class)
class MetricsIT {

    public static class RealReplicas implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            try {
                Path nvml = FakeNvml.build(Path.of("target", "fake-nvml").toAbsolutePath());
                return Map.of("modelgate.reconciler.enabled", "true", "modelgate.tick", "500ms",
                        "modelgate.metrics.resources.interval", "300ms",
                        "modelgate.metrics.nvml-library", nvml.toString());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    @BeforeAll
    static void packIris() {
        Iris.pack(TestHome.configured());
    }

    @Test
    void exports_cold_start_queue_wait_replica_usage_and_every_dashboard_metric_for_a_real_deployment() throws Exception {
        ModelsApi.authed().contentType(ContentType.JSON)
                .body("{\"name\":\"mx\",\"image\":\"iris:1\",\"minReplicas\":0,\"maxReplicas\":1,"
                        + "\"resources\":{\"cpus\":1,\"memory\":\"512Mi\"}}")
                .when().post("/models").then().statusCode(202);
        try {
            Response answer = Iris.inferOnceDeployed("mx");
            assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(200);
            String scrape = awaitScrape(s -> value(s, "modelgate_replica_memory_bytes{model=\"mx\"").isPresent(),
                    "a replica memory series for mx");

            assertThat(value(scrape, "modelgate_cold_starts_total{model=\"mx\"")).hasValue(1.0);
            assertThat(value(scrape, "modelgate_cold_start_duration_seconds_count{model=\"mx\"")).hasValue(1.0);
            assertThat(value(scrape, "modelgate_cold_start_duration_seconds_sum{model=\"mx\"").orElseThrow())
                    .as("a container start and a JVM model server's readiness take a while").isGreaterThan(0.1);
            assertThat(value(scrape, "modelgate_queue_wait_seconds_count{model=\"mx\"").orElseThrow()).isGreaterThanOrEqualTo(1.0);
            assertThat(value(scrape, "modelgate_queue_wait_seconds_sum{model=\"mx\"").orElseThrow())
                    .as("the request that found no replica waited for the cold start").isGreaterThan(0.1);
            assertThat(value(scrape, "modelgate_replica_memory_bytes{model=\"mx\"").orElseThrow())
                    .as("a model server's memory, read from its cgroup").isGreaterThan(10.0 * 1024 * 1024);
            assertThat(value(scrape, "modelgate_replica_memory_limit_bytes{model=\"mx\"")).hasValue(512.0 * 1024 * 1024);
            // read from the replica's cgroup: its JVM's start, ONNX Runtime and one inference; on its class-data
            // sharing archive that measured 0.09 s on 2 cores, so the bound only rules out an empty or made-up reading
            assertThat(value(scrape, "modelgate_replica_cpu_seconds_total{model=\"mx\"").orElseThrow())
                    .as("starting a JVM takes CPU").isGreaterThan(0.02);
            assertThat(scrape).containsPattern("modelgate_replica_cpu_seconds_total\\{model=\"mx\",replica=\"mx-[0-9a-f]{6}\",?}");
            assertThat(value(scrape, "modelgate_gpu_memory_capacity_bytes{gpu=\"0\"")).hasValue(80.0 * 1024 * 1024 * 1024);

            JsonNode dashboard = Dashboard.read();
            Set<String> used = Dashboard.metricNames(dashboard);
            assertThat(Dashboard.exported(scrape)).as("series at /q/metrics").containsAll(used);
            assertEveryPanelShowsData(dashboard);
        } finally {
            ModelsApi.authed().when().delete("/models/mx").then().statusCode(204);
        }
        String after = awaitScrape(s -> !s.contains("model=\"mx\""), "no series of model mx after DELETE");
        assertThat(after).doesNotContain("replica=\"mx-");
    }

    /**
     * A real Prometheus scrapes this gateway; every panel query, with the model variable set to mx, must be valid
     * PromQL, and every panel must show data (one of its queries returns series) within 60 s of scraping.
     */
    private static void assertEveryPanelShowsData(JsonNode dashboard) throws Exception {
        try (Prometheus prometheus = Prometheus.scraping(RestAssured.port)) {
            Map<String, List<String>> panels = new LinkedHashMap<>();
            for (JsonNode panel : Dashboard.panels(dashboard)) {
                for (JsonNode target : panel.path("targets")) {
                    panels.computeIfAbsent(panel.path("title").asText(), t -> new ArrayList<>())
                            .add(target.path("expr").asText().replace("$model", "mx").replace("$__rate_interval", "10s"));
                }
            }
            Set<String> empty = new TreeSet<>(panels.keySet());
            for (int i = 0; i < 120 && !empty.isEmpty(); i++) {
                for (String title : List.copyOf(empty)) {
                    for (String expr : panels.get(title)) {
                        JsonPath answer = prometheus.query(expr);
                        if (answer == null) {
                            continue; // still starting
                        }
                        assertThat(answer.getString("status")).as("Prometheus on %s: %s", expr, answer.prettify())
                                .isEqualTo("success");
                        List<?> result = answer.getList("data.result");
                        if (result != null && !result.isEmpty()) {
                            empty.remove(title);
                        }
                    }
                }
                TimeUnit.MILLISECONDS.sleep(500);
            }
            assertThat(empty).as("panels with no data from a real Prometheus (its log: %s)", prometheus.log()).isEmpty();
        }
    }

    private static String awaitScrape(Predicate<String> done, String what) throws InterruptedException {
        String scrape = "";
        for (int i = 0; i < 300; i++) {
            scrape = given().get("/q/metrics").then().statusCode(200).extract().asString();
            if (done.test(scrape)) {
                return scrape;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new AssertionError("waited 30 s for " + what + "; last scrape:\n" + scrape);
    }

    /** The value of the first series whose line starts with {@code prefix}. */
    private static Optional<Double> value(String scrape, String prefix) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(prefix)) {
                return Optional.of(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
            }
        }
        return Optional.empty();
    }
}
