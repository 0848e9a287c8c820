package io.modelgate.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.inject.Singleton;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToIntFunction;

/**
 * The gateway's meters, scraped at /q/metrics: {@code modelgate.requests{model,outcome}} and
 * {@code modelgate.replicas.desired|ready{model}}. Tags are only ever deployed model names and a fixed set of
 * outcomes, so a stream of requests for made-up names cannot grow the registry.
 *
 * <p>Not done yet: latency histogram, in-flight, queue depth and wait, cold starts, cgroup and GPU meters.
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

    public void request(String model, Outcome outcome) {
        Counter.builder("modelgate.requests").description("Inference requests by how they ended")
                .tag("model", model).tag("outcome", outcome.tag()).register(registry).increment();
    }

    /** Registers the replica gauges of a model once; {@link #forget} removes them with the model. */
    public void watchReplicas(String model, ToIntFunction<String> desired, ToIntFunction<String> ready) {
        gauges.computeIfAbsent(model, m -> List.of(
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
                .filter(m -> m.getId().getName().equals("modelgate.requests") && model.equals(m.getId().getTag("model")))
                .toList().forEach(registry::remove);
    }
}
