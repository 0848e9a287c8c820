package io.modelgate.gateway;

import io.modelgate.gateway.testing.Await;
import io.modelgate.gateway.testing.Iris;
import io.modelgate.gateway.testing.ModelsApi;
import io.modelgate.gateway.testing.Replicas;
import io.modelgate.gateway.testing.TestHome;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.testing.TestRuntimeCleanup;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The control plane with real iris replicas: scale to zero and back, a rolling update to a second image under
 * continuous load (through the main port and the inference port) with no failed request, and a weighted split between two revisions seen in the
 * modelgate-revision header. iris:2 is examples/iris packed again as version 2, so its digest differs. Needs root
 * (containers) and model-server's build output (modelgate.server.dist), like {@link GatewayIT}.
 */
@QuarkusTest
@TestProfile(RolloutIT.FastTicks.class)
@ExtendWith(TestRuntimeCleanup.class)
class RolloutIT {
    @jakarta.inject.Inject
    io.modelgate.gateway.route.InferenceListener inference;

    /** GatewayIT's settings in a profile class of its own, so that this class gets a gateway of its own. */
    public static class FastTicks extends GatewayIT.ReconcilerOn {
    }

    static Path home;

    @BeforeAll
    static void packIrisTwice() throws Exception {
        home = TestHome.configured();
        Iris.pack(home);
        Iris.packAsVersion(home, "2");
    }

    @Test
    void scales_to_zero_and_the_first_request_brings_a_replica_back() throws Exception {
        post("{\"name\":\"zero\",\"image\":\"iris:1\",\"minReplicas\":1,\"maxReplicas\":1,"
                + "\"autoscaling\":{\"stableWindow\":\"6s\",\"scaleToZeroGrace\":\"1s\"}}");
        try {
            Await.until("one replica ready", 90, () -> ready("zero") == 1);
            patch("zero", "{\"minReplicas\":0}").then().statusCode(202);
            Await.until("no container left once idle", 60, () -> containers("zero").isEmpty());
            assertThat(ready("zero")).isZero();

            long start = System.nanoTime();
            Response answer = Iris.infer("zero");
            System.out.printf("iris from zero replicas: %d ms%n", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            assertThat(answer.statusCode()).as(answer.asString()).isEqualTo(200);
            Iris.assertPredictsSetosaAndVirginica(answer);
            assertThat(ready("zero")).isEqualTo(1);
        } finally {
            delete("zero");
        }
        Await.until("no container left after DELETE", 60, () -> containers("zero").isEmpty());
    }

    @Test
    void rolls_out_a_new_image_under_load_without_a_failed_request_then_splits_traffic_by_weight() throws Exception {
        post("{\"name\":\"roll\",\"image\":\"iris:1\",\"minReplicas\":1,\"maxReplicas\":1}");
        try {
            Await.until("one replica ready", 90, () -> ready("roll") == 1);
            String v1 = digestOf("roll", 1);

            AtomicBoolean loading = new AtomicBoolean(true);
            Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
            Map<String, AtomicInteger> revisions = new ConcurrentHashMap<>();
            List<String> wrong = java.util.Collections.synchronizedList(new ArrayList<>());
            List<String> broken = java.util.Collections.synchronizedList(new ArrayList<>());
            long loadStart = System.nanoTime();
            List<Thread> clients = new ArrayList<>();
            Map<String, AtomicInteger> ports = new ConcurrentHashMap<>();
            int inferencePort = inference.port().orElseThrow();
            for (int c = 0; c < 4; c++) {
                // two clients on the main port, two on the inference port: their servers differ
                boolean main = c % 2 == 0;
                Thread t = new Thread(() -> {
                    while (loading.get()) {
                        long sent = System.nanoTime();
                        Response r;
                        try {
                            r = main ? Iris.infer("roll") : Iris.infer("roll", inferencePort);
                        } catch (Exception e) { // RestAssured throws the socket's IOException unchecked
                            // a request that got no answer: said in the failure, with when it was sent
                            broken.add(e + " (sent " + TimeUnit.NANOSECONDS.toMillis(sent - loadStart)
                                    + " ms into the load)");
                            return;
                        }
                        statuses.computeIfAbsent(r.statusCode(), k -> new AtomicInteger()).incrementAndGet();
                        ports.computeIfAbsent(main ? "main" : "inference", k -> new AtomicInteger()).incrementAndGet();
                        revisions.computeIfAbsent(String.valueOf(r.header("modelgate-revision")), k -> new AtomicInteger())
                                .incrementAndGet();
                        if (r.statusCode() == 200 && !r.jsonPath().getList("outputs.find { it.name == 'label' }.data")
                                .toString().equals("[0, 2]")) {
                            wrong.add(r.asString());
                        }
                    }
                });
                t.start();
                clients.add(t);
            }
            try {
                TimeUnit.SECONDS.sleep(1);
                patch("roll", "{\"image\":\"iris:2\"}").then().statusCode(202)
                        .body("revisions.weight", org.hamcrest.Matchers.contains(0, 100));
                Await.until("only revision 2 left", 90, () -> {
                    List<Map<String, Object>> replicas = status("roll").jsonPath().getList("status.replicas");
                    return replicas.size() == 1 && replicas.get(0).get("revision").equals(2)
                            && replicas.get(0).get("state").equals("ready");
                });
                TimeUnit.SECONDS.sleep(1);
            } finally {
                loading.set(false);
                for (Thread t : clients) {
                    t.join(30_000);
                }
            }
            System.out.println("rolling update under load: statuses " + statuses + ", revisions " + revisions
                    + ", answers by port " + ports);
            if (!broken.isEmpty()) {
                System.out.println("the model when requests went unanswered: " + status("roll").asString());
                io.restassured.RestAssured.given().get("/q/metrics").asString().lines().filter(l -> l.startsWith("modelgate_") && l.contains("roll"))
                        .forEach(System.out::println);
            }
            assertThat(broken).as("requests without an answer (PATCH 1 s into the load)").isEmpty();
            assertThat(statuses.keySet()).as("every request answered 200").containsOnly(200);
            assertThat(wrong).as("every prediction right").isEmpty();
            assertThat(revisions.keySet()).as("served by both revisions on the way").contains("1", "2");
            assertThat(ports.keySet()).as("answers through both ports").containsOnly("main", "inference");
            String v2 = digestOf("roll", 2);
            assertThat(v2).isNotEqualTo(v1);
            List<ContainerInfo> left = containers("roll");
            assertThat(left).as("one container, running the new digest").singleElement()
                    .satisfies(c -> assertThat(c.imageDigest()).isEqualTo(v2));

            // a 50/50 split between revision 2 (iris:2) and a new revision 3 (iris:1 again)
            patch("roll", "{\"image\":\"iris:1\",\"rollout\":{\"weight\":50}}").then().statusCode(202)
                    .body("revisions.revision", org.hamcrest.Matchers.contains(2, 3))
                    .body("revisions.weight", org.hamcrest.Matchers.contains(50, 50));
            Await.until("both revisions ready", 90, () -> ready("roll") == 2);
            Map<String, Integer> split = new TreeMap<>();
            for (int i = 0; i < 200; i++) {
                Response r = Iris.infer("roll");
                assertThat(r.statusCode()).as(r.asString()).isEqualTo(200);
                split.merge(r.header("modelgate-revision"), 1, Integer::sum);
            }
            System.out.println("50/50 split over 200 requests: " + split);
            // 100 expected each; sd 7: the bounds are over 5 sd away
            assertThat(split).containsOnlyKeys("2", "3");
            assertThat(split.get("3")).isBetween(60, 140);
            status("roll").then().body("revisions.find { it.revision == 3 }.requestsServed",
                    org.hamcrest.Matchers.greaterThanOrEqualTo(split.get("3")));

            patch("roll", "{\"rollout\":{\"weight\":0}}").then().statusCode(202).body("image", org.hamcrest.Matchers.equalTo("iris:2"));
            Await.until("the abandoned revision's replica removed", 60, () -> {
                List<ContainerInfo> now = containers("roll");
                return now.size() == 1 && now.get(0).imageDigest().equals(v2);
            });
            for (int i = 0; i < 20; i++) {
                assertThat(Iris.infer("roll").header("modelgate-revision")).isEqualTo("2");
            }
        } finally {
            delete("roll");
        }
        Await.until("no container left after DELETE", 60, () -> containers("roll").isEmpty());
    }

    private static void post(String body) {
        ModelsApi.authed().contentType(ContentType.JSON).body(body).when().post("/models").then()
                .statusCode(202);
    }

    private static Response patch(String name, String body) {
        return ModelsApi.authed().contentType("application/merge-patch+json").body(body)
                .when().patch("/models/" + name);
    }

    private static void delete(String name) {
        ModelsApi.authed().when().delete("/models/" + name).then().statusCode(204);
    }

    private static Response status(String name) {
        return ModelsApi.authed().get("/models/" + name);
    }

    private static int ready(String name) {
        return ModelsApi.readyReplicas(name);
    }

    private static String digestOf(String name, int revision) {
        return status(name).jsonPath().getString("revisions.find { it.revision == " + revision + " }.digest");
    }

    private static List<ContainerInfo> containers(String deployment) {
        return Replicas.of(Containers.open(home), deployment);
    }
}
