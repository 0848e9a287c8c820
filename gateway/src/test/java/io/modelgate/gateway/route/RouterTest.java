package io.modelgate.gateway.route;

import io.modelgate.gateway.scale.LoadSample;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

class RouterTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final List<String> coldStarts = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Router router = new Router(clock, new Router.Ejection(3, Duration.ofSeconds(10)), coldStarts::add);
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static Endpoint ep(String id) {
        return Endpoint.of(id, URI.create("http://" + id + ":8080"));
    }

    /** A call that holds its replica until released, remembering where it ran. */
    private static final class Held implements ReplicaCall<String> {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile String ranOn;

        @Override
        public String call(Endpoint endpoint) throws InterruptedException {
            ranOn = endpoint.id();
            started.countDown();
            release.await();
            return "ok from " + endpoint.id();
        }
    }

    private Future<RouteResult<String>> submit(String model, ReplicaCall<String> call) {
        return pool.submit(() -> router.route(model, call));
    }

    private void awaitWaiting(String model, int n) throws InterruptedException {
        for (int i = 0; i < 500 && router.stats(model).orElseThrow().waiting() < n; i++) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        assertThat(router.stats(model).orElseThrow().waiting()).isEqualTo(n);
    }

    @Test
    void picks_the_replica_with_fewer_in_flight() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(ep("a"), ep("b")));
        Held first = new Held();
        Future<RouteResult<String>> f1 = submit("m", first);
        assertThat(first.started.await(5, TimeUnit.SECONDS)).isTrue();
        // with two replicas both are always the two choices, so the idle one must win
        for (int i = 0; i < 20; i++) {
            RouteResult<String> r = router.route("m", e -> e.id());
            assertThat(r).isInstanceOf(RouteResult.Served.class);
            assertThat(((RouteResult.Served<String>) r).value()).isNotEqualTo(first.ranOn);
        }
        first.release.countDown();
        assertThat(f1.get(5, TimeUnit.SECONDS)).isInstanceOf(RouteResult.Served.class);
    }

    @Test
    void queues_at_the_concurrency_limit_and_refuses_when_the_queue_is_full() throws Exception {
        router.register("m", RoutingPolicy.of(1).withQueue(1, Duration.ofSeconds(10)));
        router.setEndpoints("m", List.of(ep("a")));
        Held busy = new Held();
        Future<RouteResult<String>> f1 = submit("m", busy);
        assertThat(busy.started.await(5, TimeUnit.SECONDS)).isTrue();
        Future<RouteResult<String>> queued = submit("m", e -> "queued ran");
        awaitWaiting("m", 1);

        RouteResult<String> refused = router.route("m", e -> "must not run");
        assertThat(refused).isInstanceOf(RouteResult.Overloaded.class);
        RouteResult.Overloaded<String> o = (RouteResult.Overloaded<String>) refused;
        assertThat(o.reason()).contains("model 'm' is at capacity").contains("queue limit 1");
        assertThat(o.retryAfter()).isPositive();

        busy.release.countDown();
        assertThat(f1.get(5, TimeUnit.SECONDS)).isInstanceOf(RouteResult.Served.class);
        RouteResult<String> later = queued.get(5, TimeUnit.SECONDS);
        assertThat(later).isEqualTo(new RouteResult.Served<>("queued ran", ep("a")));
        assertThat(router.stats("m").orElseThrow()).isEqualTo(new Router.PoolStats(1, 1, 0, 0));
    }

    @Test
    void a_bounded_queue_wait_ends_in_overloaded() throws Exception {
        router.register("m", RoutingPolicy.of(1).withQueue(5, Duration.ofMillis(100)));
        router.setEndpoints("m", List.of(ep("a")));
        Held busy = new Held();
        Future<RouteResult<String>> f1 = submit("m", busy);
        assertThat(busy.started.await(5, TimeUnit.SECONDS)).isTrue();
        long start = System.nanoTime();
        RouteResult<String> r = router.route("m", e -> "must not run");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
        assertThat(r).isInstanceOf(RouteResult.Overloaded.class);
        assertThat(((RouteResult.Overloaded<String>) r).reason()).contains("no replica became free within 100 ms");
        busy.release.countDown();
        f1.get(5, TimeUnit.SECONDS);
    }

    @Test
    void waits_while_the_model_scales_from_zero_and_asks_for_a_replica() throws Exception {
        router.register("m", RoutingPolicy.of(1).withColdStartTimeout(Duration.ofSeconds(10)));
        Future<RouteResult<String>> waiting = submit("m", e -> "served by " + e.id());
        awaitWaiting("m", 1);
        assertThat(coldStarts).containsExactly("m");
        router.setEndpoints("m", List.of(ep("a")));
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEqualTo(new RouteResult.Served<>("served by a", ep("a")));
    }

    @Test
    void gives_up_on_a_cold_start_after_the_bounded_wait() throws Exception {
        router.register("m", RoutingPolicy.of(1).withColdStartTimeout(Duration.ofMillis(100)));
        RouteResult<String> r = router.route("m", e -> "must not run");
        assertThat(r).isInstanceOf(RouteResult.NoReplicas.class);
        assertThat(((RouteResult.NoReplicas<String>) r).reason()).contains("no ready replica after 100 ms");
        assertThat(router.stats("m").orElseThrow().waiting()).isZero();
    }

    @Test
    void retries_elsewhere_when_a_replica_refuses_connections_then_ejects_it_and_probes_it_back() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(ep("bad"), ep("good")));
        AtomicInteger badCalls = new AtomicInteger();
        ReplicaCall<String> call = e -> {
            if (e.id().equals("bad")) {
                badCalls.incrementAndGet();
                throw new ReplicaCall.NotReachedException("connect to bad", new ConnectException("refused"));
            }
            return "ok";
        };
        for (int i = 0; i < 50; i++) {
            assertThat(router.route("m", call)).isEqualTo(new RouteResult.Served<>("ok", ep("good")));
        }
        assertThat(badCalls).hasValue(3);
        assertThat(router.stats("m").orElseThrow().eligible()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(10));
        assertThat(router.stats("m").orElseThrow().eligible()).isEqualTo(2);
        // probed back with live traffic: one more failure ejects it again at once
        for (int i = 0; i < 50; i++) {
            router.route("m", call);
        }
        assertThat(badCalls).hasValue(4);
        assertThat(router.stats("m").orElseThrow().eligible()).isEqualTo(1);

        clock.advance(Duration.ofSeconds(10));
        for (int i = 0; i < 50; i++) {
            assertThat(router.route("m", e -> "healthy again")).isInstanceOf(RouteResult.Served.class);
        }
        assertThat(router.stats("m").orElseThrow().eligible()).isEqualTo(2);
    }

    @Test
    void reports_unreachable_when_no_replica_accepts_the_connection() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(ep("a"), ep("b")));
        AtomicInteger calls = new AtomicInteger();
        RouteResult<String> r = router.route("m", e -> {
            calls.incrementAndGet();
            throw new ReplicaCall.NotReachedException("connect to " + e.id(), new ConnectException("refused"));
        });
        assertThat(r).isInstanceOf(RouteResult.Unreachable.class);
        assertThat(((RouteResult.Unreachable<String>) r).reason()).contains("tried 2");
        assertThat(calls).hasValue(2);
    }

    @Test
    void does_not_retry_a_call_that_reached_the_replica() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(ep("a"), ep("b")));
        AtomicInteger calls = new AtomicInteger();
        RouteResult<String> r = router.route("m", e -> {
            calls.incrementAndGet();
            throw new IOException("reset while reading the answer");
        });
        assertThat(r).isInstanceOf(RouteResult.Failed.class);
        assertThat(calls).hasValue(1);
        assertThat(router.stats("m").orElseThrow().inFlight()).isZero();
    }

    @Test
    void answers_unknown_model_for_a_model_it_does_not_route() throws Exception {
        assertThat(router.route("nope", e -> "x")).isEqualTo(new RouteResult.UnknownModel<>("nope"));
    }

    @Test
    void records_in_flight_and_waiting_as_concurrency_samples() throws Exception {
        router.register("m", RoutingPolicy.of(1).withQueue(5, Duration.ofSeconds(10)));
        router.setEndpoints("m", List.of(ep("a")));
        Held busy = new Held();
        Future<RouteResult<String>> f1 = submit("m", busy);
        assertThat(busy.started.await(5, TimeUnit.SECONDS)).isTrue();
        Future<RouteResult<String>> queued = submit("m", e -> "x");
        awaitWaiting("m", 1);
        clock.advance(Duration.ofSeconds(2));
        List<LoadSample> samples = router.samples("m");
        assertThat(samples).extracting(LoadSample::concurrency).containsExactly(2.0, 2.0);
        busy.release.countDown();
        f1.get(5, TimeUnit.SECONDS);
        queued.get(5, TimeUnit.SECONDS);
        clock.advance(Duration.ofSeconds(1));
        assertThat(router.samples("m")).extracting(LoadSample::concurrency).containsExactly(2.0, 2.0, 0.0);
    }

    @Test
    void never_exceeds_the_per_replica_limit_under_contention() throws Exception {
        router.register("m", new RoutingPolicy(2, 1000, Duration.ofSeconds(30), Duration.ofSeconds(30), java.util.Optional.empty()));
        router.setEndpoints("m", List.of(ep("a"), ep("b"), ep("c")));
        Map<String, AtomicInteger> current = new ConcurrentHashMap<>();
        Map<String, AtomicInteger> peak = new ConcurrentHashMap<>();
        Set<String> violations = ConcurrentHashMap.newKeySet();
        ReplicaCall<String> call = e -> {
            int now = current.computeIfAbsent(e.id(), k -> new AtomicInteger()).incrementAndGet();
            peak.computeIfAbsent(e.id(), k -> new AtomicInteger()).accumulateAndGet(now, Math::max);
            if (now > 2) {
                violations.add(e.id() + " had " + now);
            }
            Thread.onSpinWait();
            current.get(e.id()).decrementAndGet();
            return e.id();
        };
        List<Future<Integer>> workers = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
            workers.add(pool.submit(() -> {
                int served = 0;
                for (int i = 0; i < 300; i++) {
                    if (router.route("m", call) instanceof RouteResult.Served) {
                        served++;
                    }
                }
                return served;
            }));
        }
        int served = 0;
        for (Future<Integer> w : workers) {
            served += w.get(60, TimeUnit.SECONDS);
        }
        assertThat(violations).isEmpty();
        assertThat(served).isEqualTo(16 * 300);
        assertThat(peak.keySet()).containsExactlyInAnyOrder("a", "b", "c");
        assertThat(router.stats("m").orElseThrow()).isEqualTo(new Router.PoolStats(3, 3, 0, 0));
    }

    /** An executor that records what it was asked to run and runs it on a pool thread. */
    private final class CountingWaiter implements java.util.concurrent.Executor {
        final AtomicInteger used = new AtomicInteger();

        @Override
        public void execute(Runnable task) {
            used.incrementAndGet();
            pool.execute(task);
        }
    }

    @Test
    void async_route_takes_a_free_slot_on_the_calling_thread_and_releases_it_when_the_answer_completes() throws Exception {
        router.register("m", RoutingPolicy.of(1));
        router.setEndpoints("m", List.of(ep("a")));
        CountingWaiter waiter = new CountingWaiter();
        java.util.concurrent.CompletableFuture<String> answer = new java.util.concurrent.CompletableFuture<>();
        Thread caller = Thread.currentThread();
        AtomicInteger ranOnCaller = new AtomicInteger();
        java.util.concurrent.CompletionStage<RouteResult<String>> routed = router.route("m", e -> {
            if (Thread.currentThread() == caller) {
                ranOnCaller.incrementAndGet();
            }
            return answer;
        }, waiter);
        assertThat(ranOnCaller.get()).isEqualTo(1);
        assertThat(waiter.used.get()).isZero();
        assertThat(router.stats("m").orElseThrow().inFlight()).isEqualTo(1);
        answer.complete("done");
        assertThat(routed.toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(new RouteResult.Served<>("done", ep("a")));
        assertThat(router.stats("m").orElseThrow()).isEqualTo(new Router.PoolStats(1, 1, 0, 0));
    }

    @Test
    void async_route_waits_on_the_waiter_only_when_every_replica_is_at_its_limit() throws Exception {
        router.register("m", RoutingPolicy.of(1).withQueue(5, Duration.ofSeconds(5)));
        router.setEndpoints("m", List.of(ep("a")));
        CountingWaiter waiter = new CountingWaiter();
        java.util.concurrent.CompletableFuture<String> first = new java.util.concurrent.CompletableFuture<>();
        var r1 = router.route("m", e -> first, waiter);
        var r2 = router.route("m", e -> java.util.concurrent.CompletableFuture.completedFuture("second"), waiter);
        awaitWaiting("m", 1);
        assertThat(waiter.used.get()).isEqualTo(1);
        first.complete("first");
        assertThat(r1.toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(new RouteResult.Served<>("first", ep("a")));
        assertThat(r2.toCompletableFuture().get(5, TimeUnit.SECONDS)).isEqualTo(new RouteResult.Served<>("second", ep("a")));
        assertThat(router.stats("m").orElseThrow()).isEqualTo(new Router.PoolStats(1, 1, 0, 0));
    }

    @Test
    void async_route_answers_overloaded_at_once_when_the_queue_is_full() throws Exception {
        router.register("m", RoutingPolicy.of(1).withQueue(0, Duration.ofSeconds(5)));
        router.setEndpoints("m", List.of(ep("a")));
        CountingWaiter waiter = new CountingWaiter();
        java.util.concurrent.CompletableFuture<String> first = new java.util.concurrent.CompletableFuture<>();
        router.route("m", e -> first, waiter);
        var refused = router.route("m", e -> java.util.concurrent.CompletableFuture.completedFuture("x"), waiter)
                .toCompletableFuture().getNow(null);
        assertThat(refused).isInstanceOf(RouteResult.Overloaded.class);
        assertThat(waiter.used.get()).isZero();
        first.complete("ok");
    }

    @Test
    void async_route_tries_another_replica_when_the_stage_fails_not_reached_and_fails_without_retry_otherwise() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(ep("down"), ep("up")));
        CountingWaiter waiter = new CountingWaiter();
        for (int i = 0; i < 10; i++) {
            var r = router.route("m", e -> e.id().equals("down")
                    ? java.util.concurrent.CompletableFuture.<String>failedFuture(new ReplicaCall.NotReachedException("refused", new ConnectException()))
                    : java.util.concurrent.CompletableFuture.completedFuture("ok"), waiter).toCompletableFuture().get(5, TimeUnit.SECONDS);
            assertThat(r).isEqualTo(new RouteResult.Served<>("ok", ep("up")));
        }
        AtomicInteger calls = new AtomicInteger();
        var broke = router.route("m", e -> {
            calls.incrementAndGet();
            return java.util.concurrent.CompletableFuture.<String>failedFuture(new IOException("reset mid-answer"));
        }, waiter).toCompletableFuture().get(5, TimeUnit.SECONDS);
        assertThat(broke).isInstanceOf(RouteResult.Failed.class);
        assertThat(calls.get()).isEqualTo(1);
        assertThat(router.stats("m").orElseThrow().inFlight()).isZero();
        assertThat(waiter.used.get()).isZero();
    }

    private static Endpoint ep(String id, int revision) {
        return Endpoint.of(id, URI.create("http://" + id + ":8080"), revision);
    }

    /** Routes {@code n} calls one after another; counts which revision answered. */
    private Map<Integer, Integer> servedBy(String model, int n) throws Exception {
        Map<Integer, Integer> counts = new java.util.TreeMap<>();
        for (int i = 0; i < n; i++) {
            RouteResult<Integer> r = router.route(model, endpoint -> endpoint.revision());
            assertThat(r).isInstanceOf(RouteResult.Served.class);
            counts.merge(((RouteResult.Served<Integer>) r).value(), 1, Integer::sum);
        }
        return counts;
    }

    @Test
    void splits_requests_between_revisions_by_weight() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(ep("a", 1), ep("b", 1), ep("c", 1), ep("d", 2)));
        router.setWeights("m", Map.of(1, 80, 2, 20));
        Map<Integer, Integer> counts = servedBy("m", 4000);
        // 20 % of 4000 = 800; the bounds are over 8 standard deviations (sd = 25) wide
        assertThat(counts.get(2)).as("revision 2's share, though it has 1 replica of 4").isBetween(600, 1000);
        assertThat(router.served("m")).containsEntry(1, (long) counts.get(1)).containsEntry(2, (long) counts.get(2));
    }

    @Test
    void a_revision_at_weight_zero_serves_only_while_no_weighted_revision_has_a_replica() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setWeights("m", Map.of(1, 0, 2, 100));
        router.setEndpoints("m", List.of(ep("old", 1)));
        assertThat(servedBy("m", 20)).as("the new revision has no ready replica yet").containsOnlyKeys(1);
        router.setEndpoints("m", List.of(ep("old", 1), ep("new", 2)));
        assertThat(servedBy("m", 200)).containsOnlyKeys(2);
    }

    @Test
    void a_busy_revision_lends_its_share_to_a_free_replica_of_another() throws Exception {
        router.register("m", RoutingPolicy.of(1));
        router.setEndpoints("m", List.of(ep("a", 1), ep("b", 2)));
        router.setWeights("m", Map.of(1, 1, 2, 99));
        Held held = new Held();
        Future<RouteResult<String>> first;
        do {
            held = new Held();
            Held h = held;
            first = submit("m", h);
            h.started.await();
            if (!"b".equals(h.ranOn)) {
                h.release.countDown();
                first.get();
            }
        } while (!"b".equals(held.ranOn));
        assertThat(servedBy("m", 10)).as("b is at its limit: a serves rather than the call waiting").containsOnlyKeys(1);
        held.release.countDown();
        first.get();
    }

    @Test
    void counts_calls_in_flight_to_a_replica_taken_out_of_rotation_until_they_end() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(ep("a")));
        Held held = new Held();
        Future<RouteResult<String>> call = submit("m", held);
        held.started.await();
        router.setEndpoints("m", List.of(ep("b")));
        assertThat(router.inFlight("m", "a")).isEqualTo(1);
        held.release.countDown();
        assertThat(call.get()).isInstanceOf(RouteResult.Served.class);
        assertThat(router.inFlight("m", "a")).isZero();

        Held again = new Held();
        Future<RouteResult<String>> last = submit("m", again);
        again.started.await();
        router.unregister("m");
        assertThat(router.inFlight("m", "b")).as("still counted after the model is removed").isEqualTo(1);
        again.release.countDown();
        last.get();
        assertThat(router.inFlight("m", "b")).isZero();
    }
}
