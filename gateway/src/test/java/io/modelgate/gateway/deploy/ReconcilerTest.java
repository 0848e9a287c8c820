package io.modelgate.gateway.deploy;

import io.modelgate.gateway.route.Router;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

class ReconcilerTest {
    /** Replicas that exist in memory; each is ready once {@code readyAfterProbes} probes have asked. */
    static final class FakeRuntime implements ReplicaRuntime {
        final Set<String> running = ConcurrentHashMap.newKeySet();
        volatile boolean failStarts;
        volatile boolean neverReady;

        @Override
        public Replica start(DeploymentSpec spec, String name) throws IOException {
            if (failStarts) {
                throw new IOException("no such image");
            }
            running.add(name);
            return new Replica(name, name, URI.create("http://" + name + ":8080/v2/models/m/"), "/ready", "m");
        }

        @Override
        public void stop(Replica replica) {
            running.remove(replica.name());
        }

        @Override
        public boolean ready(Replica replica) {
            return !neverReady && running.contains(replica.name());
        }

        @Override
        public Optional<String> exited(Replica replica) {
            return crashed.contains(replica.name()) ? Optional.of("exited with exit code 137") : Optional.empty();
        }

        final Set<String> crashed = ConcurrentHashMap.newKeySet();
        final List<LeftOver> left = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public List<LeftOver> leftOver() {
            return left;
        }

        @Override
        public Optional<String> imageDigest(DeploymentSpec spec) {
            return Optional.of("sha256:" + spec.image());
        }

        /** A replica an earlier gateway process left running. */
        void leave(String name, String deployment, String image) {
            running.add(name);
            left.add(new LeftOver(new Replica(name, name, URI.create("http://" + name + ":8080/v2/models/m/"),
                    "/ready", "m"), deployment, "sha256:" + image, true));
        }
    }

    private final FakeRuntime runtime = new FakeRuntime();
    private final Router router = new Router(Clock.systemUTC());
    private final Executor executor = r -> new Thread(r).start();

    private static DeploymentSpec spec(String name) {
        return new DeploymentSpec(name, "img:1", 0, 5, 0, DeploymentSpec.Resources.NONE, new TreeMap<>(),
                DeploymentSpec.Autoscaling.DEFAULT);
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 400 && !condition.getAsBoolean(); i++) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    @Test
    void starts_probes_and_routes_to_the_desired_count_then_scales_down() throws Exception {
        Reconciler r = new Reconciler(runtime, router, executor, Duration.ofSeconds(5));
        r.scale(spec("m"), 3);
        eventually("three ready and routed", () -> router.stats("m").map(s -> s.endpoints() == 3).orElse(false));
        assertThat(r.status("m")).hasValueSatisfying(s -> assertThat(s.ready()).isEqualTo(3));
        assertThat(runtime.running).hasSize(3);

        r.scale(spec("m"), 1);
        assertThat(router.stats("m").orElseThrow().endpoints()).as("out of the router before stopped").isEqualTo(1);
        eventually("two stopped", () -> runtime.running.size() == 1);
        assertThat(r.ready("m")).isEqualTo(1);
    }

    @Test
    void removes_everything_of_a_deployment_that_is_gone() throws Exception {
        Reconciler r = new Reconciler(runtime, router, executor, Duration.ofSeconds(5));
        r.reconcile(List.of(spec("a"), spec("b")), Map.of("a", 2, "b", 1));
        eventually("three running", () -> r.ready("a") == 2 && r.ready("b") == 1);
        r.reconcile(List.of(spec("b")), Map.of("b", 1));
        assertThat(router.models()).containsExactly("b");
        eventually("a's replicas stopped", () -> runtime.running.size() == 1);
        assertThat(r.status("a")).isEmpty();
    }

    @Test
    void reports_a_replica_that_did_not_start() throws Exception {
        runtime.failStarts = true;
        Reconciler r = new Reconciler(runtime, router, executor, Duration.ofSeconds(5));
        r.scale(spec("m"), 1);
        eventually("error recorded", () -> r.status("m").orElseThrow().lastError().isPresent());
        assertThat(r.status("m").orElseThrow().lastError().orElseThrow()).contains("did not start: no such image");
        assertThat(r.status("m").orElseThrow().starting()).isZero();
    }

    @Test
    void stops_a_replica_that_is_not_ready_in_time() throws Exception {
        runtime.neverReady = true;
        Reconciler r = new Reconciler(runtime, router, executor, Duration.ofMillis(200));
        r.scale(spec("m"), 1);
        eventually("error recorded", () -> r.status("m").orElseThrow().lastError().isPresent());
        assertThat(r.status("m").orElseThrow().lastError().orElseThrow()).contains("was not ready (/ready) within");
        eventually("stopped", runtime.running::isEmpty);
        assertThat(router.stats("m").orElseThrow().endpoints()).isZero();
    }

    @Test
    void replaces_a_replica_whose_process_exited() throws Exception {
        Reconciler r = new Reconciler(runtime, router, executor, Duration.ofSeconds(5));
        r.scale(spec("m"), 2);
        eventually("two ready", () -> r.ready("m") == 2);
        String victim = runtime.running.iterator().next();
        runtime.crashed.add(victim);

        r.removeExited();
        assertThat(router.stats("m").orElseThrow().endpoints()).as("out of the router at once").isEqualTo(1);
        assertThat(r.status("m").orElseThrow().lastExit()).hasValue("replica " + victim + " exited with exit code 137");
        assertThat(r.status("m").orElseThrow().exits()).isEqualTo(1);
        eventually("the exited one removed", () -> !runtime.running.contains(victim));

        r.scale(spec("m"), 2);
        eventually("replaced", () -> r.ready("m") == 2 && runtime.running.size() == 2);
        assertThat(runtime.running).doesNotContain(victim);
    }

    @Test
    void recover_adopts_replicas_of_stored_deployments_and_removes_the_rest() throws Exception {
        runtime.leave("m-aaaaaa", "m", "img:1");
        runtime.leave("gone-bbbbbb", "gone", "img:1");
        runtime.leave("m-cccccc", "m", "img:0");
        Reconciler r = new Reconciler(runtime, router, executor, Duration.ofSeconds(5));
        r.recover(List.of(spec("m")));
        assertThat(runtime.running).containsExactly("m-aaaaaa");
        eventually("the adopted replica is routed", () -> router.stats("m").map(s -> s.endpoints() == 1).orElse(false));

        r.reconcile(List.of(spec("m")), Map.of("m", 1));
        TimeUnit.MILLISECONDS.sleep(100);
        assertThat(runtime.running).as("the adopted replica counts; none is started beside it")
                .containsExactly("m-aaaaaa");
        assertThat(r.status("m")).hasValueSatisfying(s -> assertThat(s.ready()).isEqualTo(1));
    }

    @Test
    void recover_tracks_a_replica_found_twice_once() throws Exception {
        runtime.leave("m-aaaaaa", "m", "img:1");
        runtime.leave("m-aaaaaa", "m", "img:1");
        Reconciler r = new Reconciler(runtime, router, executor, Duration.ofSeconds(5));
        r.recover(List.of(spec("m")));
        eventually("the adopted replica is routed", () -> router.stats("m").map(s -> s.endpoints() == 1).orElse(false));
        r.reconcile(List.of(spec("m")), Map.of("m", 1));
        TimeUnit.MILLISECONDS.sleep(100);
        assertThat(runtime.running).as("not stopped as a surplus copy of itself").containsExactly("m-aaaaaa");
        assertThat(r.status("m")).hasValueSatisfying(s -> assertThat(s.ready() + s.starting()).isEqualTo(1));
    }
}
