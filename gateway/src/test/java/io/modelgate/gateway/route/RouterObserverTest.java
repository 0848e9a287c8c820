package io.modelgate.gateway.route;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** What the router tells its {@link Router.Observer} (the metrics): each request's wait, and when a model is routable. */
class RouterObserverTest {
    private final Map<String, List<Duration>> waits = new ConcurrentHashMap<>();
    private final List<String> routable = new CopyOnWriteArrayList<>();
    private final Router router = new Router(Clock.systemUTC(), Router.Ejection.DEFAULT, model -> { },
            new Router.Observer() {
                @Override
                public void waited(String model, Duration waited) {
                    waits.computeIfAbsent(model, m -> new CopyOnWriteArrayList<>()).add(waited);
                }

                @Override
                public void routable(String model) {
                    routable.add(model);
                }
            });
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        pool.shutdownNow();
    }

    private static Endpoint ep(String id) {
        return Endpoint.of(id, URI.create("http://" + id + ":8080"));
    }

    @Test
    void reports_about_no_wait_once_per_request_when_a_replica_is_free() throws Exception {
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(ep("a")));

        for (int i = 0; i < 3; i++) {
            assertThat(router.route("m", Endpoint::id)).isInstanceOf(RouteResult.Served.class);
        }

        assertThat(waits.get("m")).hasSize(3).allMatch(w -> w.compareTo(Duration.ofMillis(50)) < 0);
    }

    @Test
    void reports_the_time_a_request_queued_for_a_busy_replica() throws Exception {
        router.register("m", RoutingPolicy.of(1));
        router.setEndpoints("m", List.of(ep("a")));
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Future<RouteResult<String>> holder = pool.submit(() -> router.route("m", e -> {
            started.countDown();
            release.await();
            return "first";
        }));
        assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
        Future<RouteResult<String>> queued = pool.submit(() -> router.route("m", e -> "second"));
        for (int i = 0; i < 500 && router.stats("m").orElseThrow().waiting() < 1; i++) {
            TimeUnit.MILLISECONDS.sleep(5);
        }

        TimeUnit.MILLISECONDS.sleep(300);
        release.countDown();

        assertThat(holder.get(5, TimeUnit.SECONDS)).isInstanceOf(RouteResult.Served.class);
        assertThat(queued.get(5, TimeUnit.SECONDS)).isInstanceOf(RouteResult.Served.class);
        assertThat(waits.get("m")).hasSize(2);
        assertThat(waits.get("m").stream().max(Duration::compareTo).orElseThrow())
                .as("the queued request's wait").isGreaterThanOrEqualTo(Duration.ofMillis(300));
    }

    @Test
    void reports_the_wait_of_a_request_refused_after_the_cold_start_timeout() throws Exception {
        router.register("m", RoutingPolicy.of(0).withColdStartTimeout(Duration.ofMillis(200)));

        assertThat(router.route("m", Endpoint::id)).isInstanceOf(RouteResult.NoReplicas.class);

        assertThat(waits.get("m")).singleElement().satisfies(w -> assertThat(w).isGreaterThanOrEqualTo(Duration.ofMillis(200)));
    }

    @Test
    void says_a_model_is_routable_only_when_it_gets_a_ready_replica() {
        router.register("m", RoutingPolicy.of(0));

        router.setEndpoints("m", List.of());
        assertThat(routable).isEmpty();
        router.setEndpoints("m", List.of(ep("a")));

        assertThat(routable).containsExactly("m");
    }
}
