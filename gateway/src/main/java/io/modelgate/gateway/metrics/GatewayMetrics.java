package io.modelgate.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * The gateway's meters, scraped at /q/metrics: {@code modelgate.requests{model,outcome}},
 * {@code modelgate.request.duration{model}} (histogram), {@code modelgate.requests.inflight|waiting{model}} and
 * {@code modelgate.replicas.desired|ready{model}}. Tags are only ever deployed model names and a fixed set of
 * outcomes, so a stream of requests for made-up names cannot grow the registry.
 *
 * <p>Not done yet: queue wait time, cold starts and their duration, per-replica cgroup and GPU meters.
 */
@Singleton
public class GatewayMetrics {
    /** How an inference request ended. */
    public enum Outcome {
        SERVED, OVERLOADED, NO_REPLICAS, UNREACHABLE, FAILED;

        String tag() {
            return name().toLowerCase();
        }
    }

    private final MeterRegistry registry;
    private final Map<String, List<Meter>> gauges = new ConcurrentHashMap<>();

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void request(String model, Outcome outcome, java.time.Duration took) {
        Timer.builder("modelgate.request.duration").description("Inference latency through the gateway, queueing included")
                .tag("model", model).publishPercentileHistogram().register(registry).record(took);
        Counter.builder("modelgate.requests").description("Inference requests by how they ended")
                .tag("model", model).tag("outcome", outcome.tag()).register(registry).increment();
    }

    /** Registers the gauges of a model once; {@link #forget} removes them with the model. */
    public void watch(String model, ToIntFunction<String> desired, ToIntFunction<String> ready,
                      ToIntFunction<String> inFlight, ToIntFunction<String> waiting) {
        gauges.computeIfAbsent(model, m -> List.of(
                Gauge.builder("modelgate.requests.inflight", () -> inFlight.applyAsInt(m))
                        .description("Requests being served by a replica").tag("model", m).strongReference(true).register(registry),
                Gauge.builder("modelgate.requests.waiting", () -> waiting.applyAsInt(m))
                        .description("Requests queued for a free replica or a cold start").tag("model", m)
                        .strongReference(true).register(registry),
                Gauge.builder("modelgate.replicas.desired", () -> desired.applyAsInt(m))
                        .description("Replicas the autoscaler wants").tag("model", m).strongReference(true).register(registry),
                Gauge.builder("modelgate.replicas.ready", () -> ready.applyAsInt(m))
                        .description("Replicas taking traffic").tag("model", m).strongReference(true).register(registry)));
    }

    public void forget(String model) {
        List<Meter> meters = gauges.remove(model);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
        registry.getMeters().stream()
                .filter(m -> m.getId().getName().startsWith("modelgate.request") && model.equals(m.getId().getTag("model")))
                .toList().forEach(registry::remove);
    }
}
