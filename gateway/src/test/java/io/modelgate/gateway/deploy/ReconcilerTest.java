package io.modelgate.gateway.deploy;

import io.modelgate.gateway.route.MutableClock;
import io.modelgate.gateway.route.RouteResult;
import io.modelgate.gateway.route.Router;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

class ReconcilerTest {
    /** Replicas that exist in memory; ready at once unless their revision is held back. */
    static final class FakeRuntime implements ReplicaRuntime {
        final Set<String> running = ConcurrentHashMap.newKeySet();
        final Map<String, Integer> revisionOf = new ConcurrentHashMap<>();
        final Set<Integer> notReadyRevisions = ConcurrentHashMap.newKeySet();
        final Set<String> crashed = ConcurrentHashMap.newKeySet();
        final List<LeftOver> left = new java.util.concurrent.CopyOnWriteArrayList<>();
        volatile boolean failStarts;
        volatile boolean neverReady;
        volatile boolean crashOnStart;
        volatile boolean noGpuFree;

        @Override
        public Replica start(DeploymentSpec spec, int revision, String name) throws IOException {
            if (failStarts) {
                throw new IOException("no such image");
            }
            if (noGpuFree) {
                throw new PendingException("waiting for 1 GPU(s): 0 free of 1", null);
            }
            revisionOf.put(name, revision); // before it is seen running: runningOf reads both from the test's thread
            running.add(name);
            if (crashOnStart) {
                crashed.add(name);
            }
            return new Replica(name, name, URI.create("http://" + name + ":8080/v2/models/m/"), "/ready", "m");
        }

        final Map<String, Integer> stops = new ConcurrentHashMap<>();

        @Override
        public void stop(Replica replica) {
            stops.merge(replica.name(), 1, Integer::sum);
            running.remove(replica.name());
        }

        @Override
        public boolean ready(Replica replica) {
            return !neverReady && running.contains(replica.name()) && !crashed.contains(replica.name())
                    && !notReadyRevisions.contains(revisionOf.get(replica.name()));
        }

        @Override
        public Optional<String> exited(Replica replica) {
            return crashed.contains(replica.name()) ? Optional.of("exited with exit code 137") : Optional.empty();
        }

        @Override
        public List<String> lastOutput(Replica replica, int lines) {
            return crashed.contains(replica.name()) ? List.of("loading " + replica.name(), "boom: out of luck")
                    : List.of("loading " + replica.name());
        }

        @Override
        public List<LeftOver> leftOver() {
            return left;
        }

        @Override
        public Optional<String> imageDigest(DeploymentSpec spec) {
            return Optional.of("sha256:" + spec.image());
        }

        /** A replica an earlier gateway process left running. */
        void leave(String name, String deployment, String image, int revision) {
            revisionOf.put(name, revision);
            running.add(name);
            left.add(new LeftOver(new Replica(name, name, URI.create("http://" + name + ":8080/v2/models/m/"),
                    "/ready", "m"), deployment, "sha256:" + image, revision, true));
        }

        long runningOf(int revision) {
            return running.stream().filter(n -> revisionOf.get(n) == revision).count();
        }
    }

    private final FakeRuntime runtime = new FakeRuntime();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final Router router = new Router(clock);
    private final Executor executor = r -> new Thread(r).start();
    private static final Reconciler.Timeouts TIMEOUTS = new Reconciler.Timeouts(Duration.ofSeconds(5), Duration.ofSeconds(5));

    private static DeploymentSpec spec(String name) {
        return new DeploymentSpec(name, "img:1", 0, 5, 0, DeploymentSpec.Resources.NONE, new TreeMap<>(),
                DeploymentSpec.Autoscaling.DEFAULT, java.util.Optional.empty());
    }

    private static Deployment deployment(String name) {
        return new Deployment(spec(name), Instant.EPOCH);
    }

    private static Revision revision(int number, String image, int weight) {
        return new Revision(number, image, "sha256:" + image, DeploymentSpec.Resources.NONE, new TreeMap<>(), weight);
    }

    private static Deployment withRevisions(String name, Revision... revisions) {
        return new Deployment(spec(name), Instant.EPOCH, List.of(revisions));
    }

    private Reconciler reconciler() {
        return new Reconciler(runtime, router, executor, clock, TIMEOUTS);
    }

    private static void eventually(String what, BooleanSupplier condition) throws InterruptedException {
        for (int i = 0; i < 400 && !condition.getAsBoolean(); i++) {
            TimeUnit.MILLISECONDS.sleep(10);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    private static List<Reconciler.ReplicaView> views(Reconciler r, String model) {
        return r.status(model).orElseThrow().replicas();
    }

    /** A call routed to the model that holds its replica until {@code done} completes; returns its route stage. */
    private CompletionStage<RouteResult<String>> hold(String model, CompletableFuture<String> done, String[] ranOn) {
        return router.route(model, endpoint -> {
            ranOn[0] = endpoint.id();
            return done;
        }, Runnable::run);
    }

    @Test
    void starts_probes_and_routes_to_the_desired_count_then_scales_down() throws Exception {
        Reconciler r = reconciler();
        r.scale(deployment("m"), 3);
        eventually("three ready and routed", () -> router.stats("m").map(s -> s.endpoints() == 3).orElse(false));
        assertThat(r.status("m")).hasValueSatisfying(s -> assertThat(s.ready()).isEqualTo(3));
        assertThat(runtime.running).hasSize(3);

        r.scale(deployment("m"), 1);
        assertThat(router.stats("m").orElseThrow().endpoints()).as("out of the router before stopped").isEqualTo(1);
        eventually("two stopped", () -> runtime.running.size() == 1);
        assertThat(r.ready("m")).isEqualTo(1);
    }

    @Test
    void scale_down_waits_for_the_calls_in_flight_before_stopping_a_replica() throws Exception {
        Reconciler r = reconciler();
        r.scale(deployment("m"), 1);
        eventually("one ready", () -> r.ready("m") == 1);
        CompletableFuture<String> done = new CompletableFuture<>();
        String[] ranOn = new String[1];
        CompletionStage<RouteResult<String>> call = hold("m", done, ranOn);

        r.scale(deployment("m"), 0);
        assertThat(router.stats("m").orElseThrow().endpoints()).as("no new call goes to it").isZero();
        TimeUnit.MILLISECONDS.sleep(300);
        assertThat(runtime.running).as("still running while its call is in flight").containsExactly(ranOn[0]);
        assertThat(views(r, "m")).extracting(Reconciler.ReplicaView::state).containsExactly(Reconciler.State.DRAINING);

        done.complete("answer");
        assertThat(call.toCompletableFuture().get(1, TimeUnit.SECONDS)).isInstanceOf(RouteResult.Served.class);
        eventually("stopped once drained", runtime.running::isEmpty);
        eventually("forgotten", () -> views(r, "m").isEmpty());
    }

    @Test
    void a_replica_whose_calls_do_not_finish_is_stopped_after_the_drain_timeout() throws Exception {
        Reconciler r = new Reconciler(runtime, router, executor, clock,
                new Reconciler.Timeouts(Duration.ofSeconds(5), Duration.ofMillis(300)));
        r.scale(deployment("m"), 1);
        eventually("one ready", () -> r.ready("m") == 1);
        hold("m", new CompletableFuture<>(), new String[1]);
        r.scale(deployment("m"), 0);
        eventually("stopped after the drain timeout", runtime.running::isEmpty);
    }

    @Test
    void rolling_update_routes_to_the_old_revision_until_the_new_one_is_ready_then_drains_it() throws Exception {
        Reconciler r = reconciler();
        r.scale(withRevisions("m", revision(1, "v1", 100)), 2);
        eventually("two of revision 1 ready", () -> r.ready("m") == 2);

        runtime.notReadyRevisions.add(2);
        Deployment updated = withRevisions("m", revision(1, "v1", 0), revision(2, "v2", 100));
        r.scale(updated, 2);
        eventually("two of revision 2 started", () -> runtime.runningOf(2) == 2);
        TimeUnit.MILLISECONDS.sleep(200);
        assertThat(runtime.runningOf(1)).as("old replicas stay while the new are not ready").isEqualTo(2);
        assertThat(router.stats("m").orElseThrow().endpoints()).isEqualTo(2);
        CompletableFuture<String> done = new CompletableFuture<>();
        String[] ranOn = new String[1];
        CompletionStage<RouteResult<String>> call = hold("m", done, ranOn);
        assertThat(runtime.revisionOf.get(ranOn[0])).as("served by the old revision meanwhile").isEqualTo(1);

        runtime.notReadyRevisions.clear();
        eventually("only revision 2 routed", () -> router.stats("m").orElseThrow().endpoints() == 2
                && views(r, "m").stream().filter(v -> v.state() == Reconciler.State.READY).allMatch(v -> v.revision() == 2));
        eventually("the idle old replica stopped", () -> runtime.runningOf(1) == 1);
        assertThat(runtime.running).as("the old one with a call in flight drains").contains(ranOn[0]);
        done.complete("answer");
        assertThat(call.toCompletableFuture().get(1, TimeUnit.SECONDS)).isInstanceOf(RouteResult.Served.class);
        eventually("all old replicas gone", () -> runtime.runningOf(1) == 0);
        assertThat(runtime.runningOf(2)).isEqualTo(2);
    }

    @Test
    void a_split_gives_each_weighted_revision_replicas() throws Exception {
        Reconciler r = reconciler();
        r.scale(withRevisions("m", revision(1, "v1", 80), revision(2, "v2", 20)), 2);
        eventually("both revisions ready", () -> r.ready("m") == 3);
        assertThat(runtime.runningOf(1)).as("ceil(2 x 0.8)").isEqualTo(2);
        assertThat(runtime.runningOf(2)).as("at least one for a weighted revision").isEqualTo(1);

        r.scale(withRevisions("m", revision(1, "v1", 100), revision(2, "v2", 0)), 2);
        eventually("the abandoned revision removed", () -> runtime.runningOf(2) == 0);
        assertThat(runtime.runningOf(1)).isEqualTo(2);
    }

    @Test
    void removes_everything_of_a_deployment_that_is_gone() throws Exception {
        Reconciler r = reconciler();
        r.reconcile(List.of(deployment("a"), deployment("b")), Map.of("a", 2, "b", 1));
        eventually("three running", () -> r.ready("a") == 2 && r.ready("b") == 1);
        r.reconcile(List.of(deployment("b")), Map.of("b", 1));
        assertThat(router.models()).containsExactly("b");
        eventually("a's replicas stopped", () -> runtime.running.size() == 1);
        assertThat(r.status("a")).isEmpty();
    }

    @Test
    void reports_a_replica_that_did_not_start_and_retries_after_a_back_off() throws Exception {
        runtime.failStarts = true;
        Reconciler r = reconciler();
        r.scale(deployment("m"), 1);
        eventually("error recorded", () -> r.status("m").orElseThrow().lastError().isPresent());
        assertThat(r.status("m").orElseThrow().lastError().orElseThrow()).contains("did not start: no such image");
        assertThat(r.status("m").orElseThrow().starting()).isZero();
        assertThat(views(r, "m")).singleElement().satisfies(v -> {
            assertThat(v.state()).isEqualTo(Reconciler.State.CRASHED);
            assertThat(v.reason()).hasValue("restarting in 1s (back-off)");
        });

        runtime.failStarts = false;
        r.scale(deployment("m"), 1);
        TimeUnit.MILLISECONDS.sleep(100);
        assertThat(runtime.running).as("not before its back-off").isEmpty();
        clock.advance(Duration.ofSeconds(1));
        r.scale(deployment("m"), 1);
        eventually("started after the back-off", () -> r.ready("m") == 1);
        assertThat(views(r, "m")).singleElement().satisfies(v -> assertThat(v.restarts()).isEqualTo(1));
    }

    @Test
    void keeps_of_each_output_line_what_a_terminal_shows_cut_to_a_size() {
        String bar = "loading 10%\rloading 55%\rloading 100%";
        String huge = "x".repeat(Reconciler.OUTPUT_LINE_CHARS + 5);
        assertThat(new Reconciler.Output("m-1", List.of(bar, huge, "")).lines()).containsExactly("loading 100%",
                "x".repeat(Reconciler.OUTPUT_LINE_CHARS) + "... (" + (Reconciler.OUTPUT_LINE_CHARS + 5) + " characters)", "");
    }

    @Test
    void stops_a_replica_that_is_not_ready_in_time() throws Exception {
        runtime.neverReady = true;
        Reconciler r = new Reconciler(runtime, router, executor, clock,
                new Reconciler.Timeouts(Duration.ofMillis(200), Duration.ofSeconds(1)));
        r.scale(deployment("m"), 1);
        eventually("error recorded", () -> r.status("m").orElseThrow().lastError().isPresent());
        assertThat(r.status("m").orElseThrow().lastError().orElseThrow()).contains("was not ready (/ready) within")
                .contains("GET /models/m shows its last lines of output");
        assertThat(views(r, "m")).singleElement().satisfies(v -> assertThat(v.lastOutput().orElseThrow().lines())
                .singleElement().asString().startsWith("loading m-"));
        eventually("stopped", runtime.running::isEmpty);
        assertThat(router.stats("m").orElseThrow().endpoints()).isZero();
    }

    @Test
    void restarts_a_replica_whose_process_exited_after_its_back_off() throws Exception {
        Reconciler r = reconciler();
        r.scale(deployment("m"), 2);
        eventually("two ready", () -> r.ready("m") == 2);
        String victim = runtime.running.iterator().next();
        runtime.crashed.add(victim);

        r.removeExited();
        assertThat(router.stats("m").orElseThrow().endpoints()).as("out of the router at once").isEqualTo(1);
        assertThat(r.status("m").orElseThrow().lastExit()).hasValue("replica " + victim + " exited with exit code 137");
        assertThat(r.status("m").orElseThrow().exits()).isEqualTo(1);
        eventually("the exited one removed", () -> !runtime.running.contains(victim));

        clock.advance(Duration.ofSeconds(1));
        r.scale(deployment("m"), 2);
        eventually("replaced", () -> r.ready("m") == 2 && runtime.running.size() == 2);
        assertThat(runtime.running).doesNotContain(victim);
        assertThat(views(r, "m")).extracting(Reconciler.ReplicaView::restarts).containsExactlyInAnyOrder(0, 1);
        assertThat(views(r, "m")).filteredOn(v -> v.restarts() == 1).singleElement().satisfies(v -> {
            assertThat(v.lastExit()).hasValue("exited with exit code 137");
            assertThat(v.lastOutput()).as("the exited replica's, kept after its container went")
                    .hasValue(new Reconciler.Output(victim, List.of("loading " + victim, "boom: out of luck")));
        });
        assertThat(views(r, "m")).filteredOn(v -> v.restarts() == 0).singleElement()
                .satisfies(v -> assertThat(v.lastOutput()).isEmpty());
    }

    @Test
    void keeps_a_crashed_replicas_output_when_the_next_one_fails_without_any() throws Exception {
        Reconciler r = reconciler();
        r.scale(deployment("m"), 1);
        eventually("ready", () -> r.ready("m") == 1);
        String victim = runtime.running.iterator().next();
        runtime.crashed.add(victim);
        runtime.failStarts = true;

        r.removeExited();
        clock.advance(Duration.ofSeconds(1));
        r.scale(deployment("m"), 1);
        eventually("the restart failed too", () -> views(r, "m").get(0).lastExit().orElseThrow().startsWith("did not start"));

        assertThat(views(r, "m").get(0).lastOutput()).map(Reconciler.Output::replica).hasValue(victim);
    }

    @Test
    void a_replica_that_keeps_crashing_backs_off_doubling_and_is_reported_as_a_crash_loop() throws Exception {
        runtime.crashOnStart = true;
        Reconciler r = reconciler();
        r.scale(deployment("m"), 1);
        for (int failure = 1; failure <= 4; failure++) {
            eventually("started", () -> runtime.running.size() == 1 || r.ready("m") == 1);
            r.removeExited();
            Duration backoff = Duration.ofSeconds(1L << (failure - 1));
            int f = failure;
            assertThat(views(r, "m")).singleElement().satisfies(v -> {
                assertThat(v.state()).isEqualTo(Reconciler.State.CRASHED);
                assertThat(v.restarts()).isEqualTo(f - 1);
                assertThat(v.reason().orElseThrow()).endsWith("restarting in " + backoff.toSeconds() + "s (back-off)");
                if (f > 1) {
                    assertThat(v.reason().orElseThrow()).startsWith("crash loop: failed " + f + " times in a row");
                }
            });
            eventually("its container removed", runtime.running::isEmpty);
            clock.advance(backoff.minusMillis(1));
            r.scale(deployment("m"), 1);
            TimeUnit.MILLISECONDS.sleep(50);
            assertThat(runtime.running).as("no restart before the back-off ends").isEmpty();
            clock.advance(Duration.ofMillis(1));
            r.scale(deployment("m"), 1);
        }
    }

    @Test
    void back_off_doubles_from_one_second_to_five_minutes() {
        assertThat(Reconciler.backoff(0)).isEqualTo(Duration.ofSeconds(1));
        assertThat(Reconciler.backoff(1)).isEqualTo(Duration.ofSeconds(2));
        assertThat(Reconciler.backoff(5)).isEqualTo(Duration.ofSeconds(32));
        assertThat(Reconciler.backoff(8)).isEqualTo(Duration.ofSeconds(256));
        assertThat(Reconciler.backoff(9)).isEqualTo(Duration.ofMinutes(5));
        assertThat(Reconciler.backoff(100)).isEqualTo(Duration.ofMinutes(5));
    }

    @Test
    void the_back_off_starts_over_after_a_replica_was_ready_for_ten_minutes() throws Exception {
        Reconciler r = reconciler();
        r.scale(deployment("m"), 1);
        for (int i = 0; i < 3; i++) {
            eventually("ready", () -> r.ready("m") == 1);
            runtime.crashed.addAll(runtime.running);
            r.removeExited();
            clock.advance(Duration.ofMinutes(1));
            r.scale(deployment("m"), 1);
        }
        eventually("ready", () -> r.ready("m") == 1);
        clock.advance(Duration.ofMinutes(10));
        runtime.crashed.addAll(runtime.running);
        r.removeExited();
        assertThat(views(r, "m")).singleElement()
                .satisfies(v -> assertThat(v.reason()).hasValue("restarting in 1s (back-off)"));
    }

    @Test
    void a_replica_waiting_for_a_gpu_is_pending_with_the_reason_then_starts() throws Exception {
        runtime.noGpuFree = true;
        Reconciler r = reconciler();
        r.scale(deployment("m"), 1);
        eventually("pending", () -> views(r, "m").stream().anyMatch(v -> v.state() == Reconciler.State.PENDING));
        assertThat(views(r, "m")).singleElement()
                .satisfies(v -> assertThat(v.reason()).hasValue("waiting for 1 GPU(s): 0 free of 1"));
        runtime.noGpuFree = false;
        r.scale(deployment("m"), 1);
        eventually("started once a GPU is free", () -> r.ready("m") == 1);
    }

    @Test
    void recover_adopts_replicas_of_stored_revisions_and_removes_the_rest() throws Exception {
        runtime.leave("m-aaaaaa", "m", "v1", 1);
        runtime.leave("m-dddddd", "m", "v2", 2);
        runtime.leave("gone-bbbbbb", "gone", "v1", 1);
        runtime.leave("m-cccccc", "m", "v0", 3);
        Reconciler r = reconciler();
        Deployment mid = withRevisions("m", revision(1, "v1", 0), revision(2, "v2", 100));
        r.recover(List.of(mid));
        assertThat(runtime.running).containsExactlyInAnyOrder("m-aaaaaa", "m-dddddd");
        eventually("both adopted replicas are routed", () -> router.stats("m").map(s -> s.endpoints() == 2).orElse(false));

        r.reconcile(List.of(mid), Map.of("m", 1));
        eventually("the old revision's replica retired once the new one is ready",
                () -> runtime.running.equals(Set.of("m-dddddd")));
        TimeUnit.MILLISECONDS.sleep(100);
        assertThat(runtime.running).as("the adopted replica counts; none is started beside it")
                .containsExactly("m-dddddd");
    }

    @Test
    void recover_tracks_a_replica_found_twice_once() throws Exception {
        runtime.leave("m-aaaaaa", "m", "img:1", 0);
        runtime.leave("m-aaaaaa", "m", "img:1", 0);
        Reconciler r = reconciler();
        r.recover(List.of(deployment("m")));
        eventually("the adopted replica is routed", () -> router.stats("m").map(s -> s.endpoints() == 1).orElse(false));
        r.reconcile(List.of(deployment("m")), Map.of("m", 1));
        TimeUnit.MILLISECONDS.sleep(100);
        assertThat(runtime.running).as("not stopped as a surplus copy of itself").containsExactly("m-aaaaaa");
        assertThat(r.status("m")).hasValueSatisfying(s -> assertThat(s.ready() + s.starting()).isEqualTo(1));
    }

    @Test
    void shutdown_ends_drains_at_once_and_stops_each_replica_once() throws Exception {
        Reconciler r = new Reconciler(runtime, router, executor, clock,
                new Reconciler.Timeouts(Duration.ofSeconds(5), Duration.ofMinutes(5)));
        r.scale(deployment("m"), 2);
        eventually("two ready", () -> r.ready("m") == 2);
        String[] ranOn = new String[1];
        hold("m", new CompletableFuture<>(), ranOn);
        r.scale(deployment("m"), 0);
        TimeUnit.MILLISECONDS.sleep(200);
        assertThat(runtime.running).as("draining its call").containsExactly(ranOn[0]);
        long start = System.nanoTime();
        r.stopAll();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("not the 5 min drain timeout").isLessThan(Duration.ofSeconds(5));
        assertThat(runtime.running).isEmpty();
        assertThat(runtime.stops.values()).containsOnly(1);
        assertThat(runtime.stops).hasSize(2);
    }

    @Test
    void a_change_of_bounds_or_concurrency_keeps_the_replicas() throws Exception {
        Reconciler r = reconciler();
        Deployment d = withRevisions("m", revision(1, "v1", 100));
        r.scale(d, 2);
        eventually("two ready", () -> r.ready("m") == 2);
        Set<String> before = Set.copyOf(runtime.running);
        DeploymentSpec s = d.spec();
        Deployment bounds = new Deployment(new DeploymentSpec("m", s.image(), 1, 9, 3, s.resources(), s.env(),
                s.autoscaling(), s.timeout()), Instant.EPOCH, d.revisions());
        r.scale(bounds, 2);
        TimeUnit.MILLISECONDS.sleep(200);
        assertThat(runtime.running).as("no replica restarted").isEqualTo(before);
        assertThat(runtime.stops).isEmpty();
    }
}
