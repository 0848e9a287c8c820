package io.modelgate.gateway;

import io.modelgate.packager.cli.Main;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;
import io.restassured.path.json.JsonPath;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/**
 * The real gateway (quarkus-run.jar) as a process of its own, SIGKILLed right after it acknowledged a deploy that
 * followed a delete, then started again: it lists exactly the acknowledged deployments, re-adopts the replica that
 * was serving (same container), removes the deleted deployment's; killed once more while a new replica starts, it
 * ends with exactly one replica per deployment; after deleting everything and a clean stop no container, cgroup,
 * veth or replica record of the test is left. Needs root and the packaged gateway (the package phase).
 */
class CrashRecoveryIT {
    private static final Path IRIS = Path.of("..", "examples", "iris").toAbsolutePath().normalize();
    private static final Path JAR = Path.of("target", "quarkus-app", "quarkus-run.jar").toAbsolutePath();
    private static final String TOKEN = "crash-token";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Path home;
    private int port;
    private int starts;

    @AfterAll
    static void removeTestNetworkAndCgroups() throws Exception {
        GatewayIT.removeTestNetworkAndCgroups();
    }

    @Test
    void a_killed_gateway_comes_back_with_the_acknowledged_deployments_and_nothing_orphaned() throws Exception {
        ExternalTools.requireRoot();
        assumeThat(JAR).as("the packaged gateway (mvn package)").exists();
        assumeThat(System.getProperty("modelgate.server.dist")).as("modelgate.server.dist (failsafe)").isNotNull();
        home = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "crash-it-home");
        pack();
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Containers containers = Containers.open(home);
        Process gateway = null;
        try {
            gateway = startGateway();
            assertThat(send("POST", "/models", deployment("a")).statusCode()).isEqualTo(202);
            assertThat(send("POST", "/models", deployment("b")).statusCode()).isEqualTo(202);
            eventually("a and b serve", 60, () -> predicts("a") && predicts("b"));
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
            eventually("a and c serve", 60, () -> predicts("a") && predicts("c"));
            assertThat(replicas(containers, "a")).as("a's replica is re-adopted, not replaced")
                    .containsExactly(aBefore);
            eventually("only the replicas a and c want are left", 30, () -> {
                List<ContainerInfo> all = list(containers, true);
                return all.size() == 2 && all.stream().allMatch(c -> c.running()
                        && (c.name().startsWith("a-") || c.name().startsWith("c-")));
            });

            // killed again while d's replica is starting: it is adopted (and probed) or replaced, never doubled
            assertThat(send("POST", "/models", deployment("d")).statusCode()).isEqualTo(202);
            eventually("d's container exists", 30, () -> !replicas(containers, "d").isEmpty());
            gateway.destroyForcibly();
            assertThat(gateway.waitFor(10, TimeUnit.SECONDS)).isTrue();
            gateway = startGateway();
            assertThat(JsonPath.from(send("GET", "/models", null).body()).getList("name", String.class))
                    .containsExactly("a", "c", "d");
            eventually("a, c and d serve", 60, () -> predicts("a") && predicts("c") && predicts("d"));
            eventually("one running replica each for a, c and d", 30, () -> {
                List<ContainerInfo> all = list(containers, true);
                return all.size() == 3 && all.stream().allMatch(ContainerInfo::running)
                        && replicas(containers, "d").size() == 1;
            });
            assertThat(replicas(containers, "a")).as("a's replica survives a second crash").containsExactly(aBefore);

            // killed in the middle of a rolling update (a new env makes revision 2): the restarted gateway reads
            // which revisions the deployment has, adopts what runs of both and finishes the rollout
            assertThat(send("PATCH", "/models/a", "{\"env\":{\"ROLLOUT\":\"2\"}}").statusCode()).isEqualTo(202);
            eventually("revision 2's container exists beside revision 1's", 30,
                    () -> replicas(containers, "a").size() == 2);
            gateway.destroyForcibly();
            assertThat(gateway.waitFor(10, TimeUnit.SECONDS)).isTrue();
            gateway = startGateway();
            eventually("a runs revision 2 only, and serves", 90, () -> {
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
            eventually("no container left after DELETE", 30, () -> list(containers, true).isEmpty());
            gateway.destroy(); // SIGTERM: a clean stop
            assertThat(gateway.waitFor(30, TimeUnit.SECONDS)).as("the gateway stops on SIGTERM").isTrue();
            assertThat(containers.list(true)).isEmpty();
            assertThat(cgroupsOfTheTests()).as("container cgroups under the tests' parent").isEmpty();
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
            for (ContainerInfo c : list(containers, true)) {
                try {
                    containers.remove(c.id(), true);
                } catch (IOException e) {
                    System.out.println("could not remove container " + c.name() + ": " + e.getMessage());
                }
            }
            if (list(containers, true).isEmpty() && !Boolean.getBoolean("modelgate.keepHome")) {
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

    private void pack() throws Exception {
        StringWriter err = new StringWriter();
        String[] argv = {"--home", home.toString(), "pack", IRIS.toString()};
        int status = Main.execute(new PrintWriter(new StringWriter()), new PrintWriter(err), argv);
        assertThat(status).as(err.toString()).isZero();
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
        eventually("the gateway answers GET /models", 30, () -> {
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
            return send("POST", "/v2/models/" + model + "/infer", Files.readString(IRIS.resolve("request.json")))
                    .statusCode() == 200;
        } catch (IOException notYet) {
            return false;
        }
    }

    private static List<ContainerInfo> list(Containers containers, boolean all) {
        IOException last = null;
        for (int i = 0; i < 20; i++) {
            try {
                return containers.list(all);
            } catch (IOException e) {
                // Containers.list fails when a container is removed while it looks at it: look again
                last = e;
                try {
                    TimeUnit.MILLISECONDS.sleep(50);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        throw new AssertionError(last);
    }

    /** Ids of the deployment's containers, running or not. */
    private static List<String> replicas(Containers containers, String deployment) {
        return list(containers, true).stream().filter(c -> c.name().matches(deployment + "-[0-9a-f]{6}"))
                .map(ContainerInfo::id).toList();
    }

    private static String only(List<String> ids) {
        assertThat(ids).hasSize(1);
        return ids.get(0);
    }

    /** Directories below the tests' cgroup parent in every hierarchy (one per container while it exists). */
    private static Set<Path> cgroupsOfTheTests() throws IOException {
        Set<Path> found = new HashSet<>();
        String parent = System.getProperty("modelgate.cgroupParent", "modelgate");
        List<Path> roots = new ArrayList<>(List.of(Path.of("/sys/fs/cgroup")));
        try (var hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            roots.addAll(hierarchies.filter(Files::isDirectory).toList());
        }
        for (Path root : roots) {
            Path dir = root.resolve(parent);
            if (Files.isDirectory(dir)) {
                try (var children = Files.list(dir)) {
                    children.filter(Files::isDirectory).forEach(found::add);
                }
            }
        }
        return found;
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

    private static void eventually(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                System.out.printf("crash recovery: %s after %d ms%n", what,
                        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                return;
            }
            TimeUnit.MILLISECONDS.sleep(200);
        }
        assertThat(condition.getAsBoolean()).as(what + " within " + seconds + " s").isTrue();
    }
}
