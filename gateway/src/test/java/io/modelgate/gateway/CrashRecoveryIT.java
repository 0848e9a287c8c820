package io.modelgate.gateway;

import io.modelgate.gateway.testing.Await;
import io.modelgate.gateway.testing.Iris;
import io.modelgate.gateway.testing.Replicas;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.testing.TestRuntimeCleanup;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The real gateway (quarkus-run.jar) as a process of its own, SIGKILLed right after it acknowledged a deploy that
 * followed a delete, then started again: it lists exactly the acknowledged deployments, re-adopts the replica that
 * was serving (same container), removes the deleted deployment's; killed once more while a new replica starts, it
 * ends with exactly one replica per deployment; after deleting everything and a clean stop no container, cgroup,
 * veth or replica record of the test is left. Needs root and the packaged gateway (the package phase).
 */
@ExtendWith(TestRuntimeCleanup.class)
class CrashRecoveryIT {
    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
    private static final String TOKEN = "crash-token";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Path home;
    private int port;
    private int starts;

    @Test
    void a_killed_gateway_comes_back_with_the_acknowledged_deployments_and_nothing_orphaned() throws Exception {
        ExternalTools.requireRoot();
        assumeThat(JAR).as("the packaged gateway (mvn package)").exists();
        assumeThat(System.getProperty("modelgate.server.dist")).as("modelgate.server.dist (failsafe)").isNotNull();
        home = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "crash-it-home");
        Iris.pack(home);
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Containers containers = Containers.open(home);
        Process gateway = null;
        try {
            gateway = startGateway();
            assertThat(send("POST", "/models", deployment("a")).statusCode()).isEqualTo(202);
            assertThat(send("POST", "/models", deployment("b")).statusCode()).isEqualTo(202);
            Await.until("a and b serve", 60, () -> predicts("a") && predicts("b"));
            String aBefore = only(replicas(containers, "a"));

            assertThat(send("DELETE", "/models/b", null).statusCode()).isEqualTo(204);
            assertThat(send("POST", "/models", deployment("c")).statusCode()).isEqualTo(202);
            gateway.destroyForcibly(); // SIGKILL, right after the acknowledged deploy of c
            assertThat(gateway.waitFor(10, TimeUnit.SECONDS)).isTrue();

            gateway = startGateway();
            JsonPath models = JsonPath.from(send("GET", "/models", null).body());
            assertThat(models.getList("name", String.class)).containsExactly("a", "c");
            assertThat(replicas(containers, "b")).as("the deleted deployment's replicas are removed on start")
                    .isEmpty();
            Await.until("a and c serve", 60, () -> predicts("a") && predicts("c"));
            assertThat(replicas(containers, "a")).as("a's replica is re-adopted, not replaced")
                    .containsExactly(aBefore);
            Await.until("only the replicas a and c want are left", 30, () -> {
                List<ContainerInfo> all = Replicas.all(containers);
                return all.size() == 2 && all.stream().allMatch(c -> c.running()
                        && (c.name().startsWith("a-") || c.name().startsWith("c-")));
            });

            // killed again while d's replica is starting: it is adopted (and probed) or replaced, never doubled
            assertThat(send("POST", "/models", deployment("d")).statusCode()).isEqualTo(202);
            Await.until("d's container exists", 30, () -> !replicas(containers, "d").isEmpty());
            gateway.destroyForcibly();
            assertThat(gateway.waitFor(10, TimeUnit.SECONDS)).isTrue();
            gateway = startGateway();
            assertThat(JsonPath.from(send("GET", "/models", null).body()).getList("name", String.class))
                    .containsExactly("a", "c", "d");
            Await.until("a, c and d serve", 60, () -> predicts("a") && predicts("c") && predicts("d"));
            Await.until("one running replica each for a, c and d", 30, () -> {
                List<ContainerInfo> all = Replicas.all(containers);
                return all.size() == 3 && all.stream().allMatch(ContainerInfo::running)
                        && replicas(containers, "d").size() == 1;
            });
            assertThat(replicas(containers, "a")).as("a's replica survives a second crash").containsExactly(aBefore);

            // killed in the middle of a rolling update (a new env makes revision 2): the restarted gateway reads
            // which revisions the deployment has, adopts what runs of both and finishes the rollout
            assertThat(send("PATCH", "/models/a", "{\"env\":{\"ROLLOUT\":\"2\"}}").statusCode()).isEqualTo(202);
            Await.until("revision 2's container exists beside revision 1's", 30,
                    () -> replicas(containers, "a").size() == 2);
            gateway.destroyForcibly();
            assertThat(gateway.waitFor(10, TimeUnit.SECONDS)).isTrue();
            gateway = startGateway();
            Await.until("a runs revision 2 only, and serves", 90, () -> {
                try {
                    List<Map<String, Object>> shown = JsonPath.from(send("GET", "/models/a", null).body())
                            .getList("status.replicas");
                    return shown != null && shown.size() == 1 && shown.get(0).get("revision").equals(2)
                            && shown.get(0).get("state").equals("ready") && predicts("a")
                            && replicas(containers, "a").size() == 1;
                } catch (IOException notYet) {
                    return false;
                }
            });
            assertThat(replicas(containers, "a")).as("revision 1's replica retired").doesNotContain(aBefore);

            for (String model : List.of("a", "c", "d")) {
                assertThat(send("DELETE", "/models/" + model, null).statusCode()).isEqualTo(204);
            }
            Await.until("no container left after DELETE", 30, () -> Replicas.all(containers).isEmpty());
            gateway.destroy(); // SIGTERM: a clean stop
            assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).as("the gateway stops on SIGTERM").isTrue();
            assertThat(containers.list(true)).isEmpty();
            assertThat(TestRuntimeCleanup.containerCgroups(System.getProperty("modelgate.cgroupParent", "modelgate")))
                    .as("container cgroups under the tests' parent").isEmpty();
            assertThat(vethsOnTheBridge()).as("veths on the tests' bridge").isEmpty();
            try (var records = Files.list(home.resolve("replicas"))) {
                assertThat(records.toList()).as("replica records").isEmpty();
            }
        } catch (Throwable t) {
            System.out.println(gatewayLogs()); // before the home (and the logs in it) goes
            throw t;
        } finally {
            if (gateway != null && gateway.isAlive()) {
                gateway.destroyForcibly();
                gateway.waitFor(10, TimeUnit.SECONDS);
            }
            for (ContainerInfo c : Replicas.all(containers)) {
                try {
                    containers.remove(c.id(), true);
                } catch (IOException e) {
                    System.out.println("could not remove container " + c.name() + ": " + e.getMessage());
                }
            }
            if (Replicas.all(containers).isEmpty() && !Boolean.getBoolean("modelgate.keepHome")) {
                deleteTree(home); // nothing is mounted in it any more
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Starts quarkus-run.jar with the tests' bridge, subnet and cgroup parent and waits until its API answers. */
    private Process startGateway() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dmodelgate.home=" + home, "-Dmodelgate.tick=500ms"));
        for (String p : List.of("modelgate.bridge", "modelgate.subnet", "modelgate.cgroupParent",
                "modelgate.server.dist")) {
            if (System.getProperty(p) != null) {
                cmd.add("-D" + p + "=" + System.getProperty(p));
            }
        }
        cmd.addAll(List.of("-jar", JAR.toString()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(home.resolve("gateway-" + (++starts) + ".log").toFile());
        pb.environment().put("MODELGATE_HOME", home.toString());
        pb.environment().put("MODELGATE_TOKEN", TOKEN);
        pb.environment().put("QUARKUS_HTTP_PORT", String.valueOf(port));
        Process p = pb.start();
        Await.until("the gateway answers GET /models", 30, () -> {
            if (!p.isAlive()) {
                throw new AssertionError("the gateway exited with " + p.exitValue() + ": " + gatewayLogs());
            }
            try {
                return send("GET", "/models", null).statusCode() == 200;
            } catch (IOException notYet) {
                return false;
            }
        });
        return p;
    }

    private static String deployment(String name) {
        return "{\"name\":\"" + name + "\",\"image\":\"iris:1\",\"minReplicas\":1,\"maxReplicas\":1,"
                + "\"resources\":{\"cpus\":1,\"memory\":\"512Mi\"}}";
    }

    private HttpResponse<String> send(String method, String path, String json) throws IOException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + TOKEN);
        if (json != null) {
            b.header("Content-Type", "application/json");
        }
        b.method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private boolean predicts(String model) {
        try {
            return send("POST", "/v2/models/" + model + "/infer", Iris.request())
                    .statusCode() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** Ids of the deployment's containers, running or not. */
    private static List<String> replicas(Containers containers, String deployment) {
        return Replicas.of(containers, deployment).stream().map(ContainerInfo::id).toList();
    }

    private static String only(List<String> ids) {
        assertThat(ids).hasSize(1);
        return ids.get(0);
    }

    private static String vethsOnTheBridge() throws Exception {
        String bridge = System.getProperty("modelgate.bridge", "modelgate0");
        Process p = new ProcessBuilder("ip", "-o", "link", "show", "master", bridge).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        return p.waitFor() == 0 ? out.trim() : ""; // no bridge, no veth on it
    }

    private String gatewayLogs() {
        StringBuilder all = new StringBuilder();
        for (int i = 1; i <= starts; i++) {
            try {
                String log = Files.readString(home.resolve("gateway-" + i + ".log"));
                all.append("--- gateway start ").append(i).append(" ---\n")
                        .append(log, Math.max(0, log.length() - 6000), log.length());
            } catch (IOException e) {
                all.append(e.getMessage());
            }
        }
        return all.toString();
    }
}
