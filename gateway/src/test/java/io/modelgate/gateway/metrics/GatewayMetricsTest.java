package io.modelgate.gateway.metrics;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** Queue wait and cold-start meters, read back as Prometheus scrapes them. */
class GatewayMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final GatewayMetrics metrics = new GatewayMetrics(registry);

    @Test
    void records_every_requests_queue_wait_in_a_histogram_zero_waits_included() {
        metrics.waited("iris", Duration.ZERO);
        metrics.waited("iris", Duration.ofMillis(400));

        String scrape = registry.scrape();

        assertThat(scrape).contains("modelgate_queue_wait_seconds_count{model=\"iris\",} 2.0")
                .contains("modelgate_queue_wait_seconds_sum{model=\"iris\",} 0.4")
                .contains("modelgate_queue_wait_seconds_bucket{model=\"iris\",le=\"0.001\",} 1.0")
                .contains("modelgate_queue_wait_seconds_bucket{model=\"iris\",le=\"+Inf\",} 2.0");
    }

    @Test
    void counts_a_cold_start_once_and_times_it_until_the_model_is_routable() throws Exception {
        long arrived = System.nanoTime();
        metrics.coldStartBegan("iris", arrived);
        metrics.coldStartBegan("iris", System.nanoTime()); // a second request while the replica starts
        Thread.sleep(150);

        metrics.routable("iris");
        metrics.routable("iris"); // another replica later: not a cold start

        String scrape = registry.scrape();
        assertThat(scrape).contains("modelgate_cold_starts_total{model=\"iris\",} 1.0")
                .contains("modelgate_cold_start_duration_seconds_count{model=\"iris\",} 1.0");
        double seconds = registry.get("modelgate.cold.start.duration").timer().totalTime(java.util.concurrent.TimeUnit.SECONDS);
        assertThat(seconds).isBetween(0.15, 5.0);
    }

    @Test
    void counts_a_cold_start_that_never_got_a_replica_without_a_duration() {
        metrics.coldStartBegan("iris", System.nanoTime());
        metrics.forget("iris"); // deleted while starting

        metrics.routable("iris");

        assertThat(registry.scrape()).doesNotContain("modelgate_cold_start_duration_seconds_count{model=\"iris\"");
    }

    @Test
    void counts_answers_per_revision_by_status_class() {
        metrics.answered("iris", 1, 200);
        metrics.answered("iris", 1, 204);
        metrics.answered("iris", 2, 503);
        metrics.answered("iris", 2, 404);

        assertThat(registry.scrape())
                .contains("modelgate_revision_requests_total{code_class=\"2xx\",model=\"iris\",revision=\"1\",} 2.0")
                .contains("modelgate_revision_requests_total{code_class=\"5xx\",model=\"iris\",revision=\"2\",} 1.0")
                .contains("modelgate_revision_requests_total{code_class=\"4xx\",model=\"iris\",revision=\"2\",} 1.0")
                .doesNotContain("code_class=\"4xx\",model=\"iris\",revision=\"1\"");
    }

    @Test
    void forgets_every_per_model_series_with_the_model() {
        metrics.request("iris", GatewayMetrics.Outcome.SERVED, Duration.ofMillis(3));
        metrics.waited("iris", Duration.ZERO);
        metrics.coldStartBegan("iris", System.nanoTime());
        metrics.routable("iris");
        metrics.answered("iris", 2, 200);
        metrics.waited("other", Duration.ZERO);

        metrics.forget("iris");

        String scrape = registry.scrape();
        assertThat(scrape).doesNotContain("model=\"iris\"").contains("modelgate_queue_wait_seconds_count{model=\"other\",} 1.0");
    }
}
