package io.modelgate.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.modelgate.gateway.route.Router;
import jakarta.inject.Singleton;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.ToIntFunction;

/**
 * The gateway's meters, scraped at /q/metrics: {@code modelgate.requests{model,outcome}},
 * {@code modelgate.request.duration{model}} (histogram), {@code modelgate.requests.inflight|waiting{model}},
 * {@code modelgate.replicas.desired|ready{model}}, {@code modelgate.queue.wait{model}} (histogram),
 * {@code modelgate.cold.starts{model}}, {@code modelgate.cold.start.duration{model}} (histogram) and
 * {@code modelgate.revision.requests{model,revision,code_class}}. Tags are only ever deployed model names, their
 * revisions and fixed sets of outcomes and status classes, so a stream of requests for made-up names cannot grow the
 * registry. Per-replica CPU and memory and the GPUs are {@link ResourceMetrics}'.
 *
 * <p>Queue wait: every routed request is recorded once, when it got a replica's slot or was refused, with the time
 * it waited for a free replica or a cold start, so requests that found a replica free at once count too (near zero);
 * the histogram then answers "what share of requests waited longer than x". A cold start is counted when a request
 * finds no ready replica and the gateway starts one, and its duration runs from that request's arrival until the
 * router has a ready replica; one that never gets there (start failed, model deleted) is counted without a duration.
 */
@Singleton
public class GatewayMetrics implements Router.Observer {
    /** How an inference request ended. */
    public enum Outcome {
        SERVED, OVERLOADED, NO_REPLICAS, UNREACHABLE, FAILED,
        /** Refused by the gateway before routing: no or a wrong token, a body over the limit (not in the latency). */
        REJECTED;

        String tag() {
            return name().toLowerCase();
        }
    }

    /** The names of the meters tagged by model that {@link #forget} removes with the model. */
    private static final List<String> PER_MODEL = List.of("modelgate.request", "modelgate.queue.", "modelgate.cold.",
            "modelgate.revision.");

    private final MeterRegistry registry;
    /** Cold starts under way: model → System.nanoTime() of the request that found no ready replica. */
    private final Map<String, Long> coldStarts = new ConcurrentHashMap<>();
    private final Map<String, List<Meter>> gauges = new ConcurrentHashMap<>();
    /** Each model's per-request meters, registered once (building one per request costs a registry lookup). */
    private final Map<String, RequestMeters> perModel = new ConcurrentHashMap<>();

    public GatewayMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    public void request(String model, Outcome outcome, Duration took) {
        RequestMeters meters = meters(model);
        meters.duration.record(took);
        meters.outcome(outcome).increment();
    }

    /**
     * A call that reached a replica of {@code revision}, with the status its caller got: the replica's, or the
     * gateway's 502/504 when the answer broke off or timed out. Per revision, so a canary can be told apart.
     */
    public void answered(String model, int revision, int status) {
        meters(model).answered(revision, status).increment();
    }

    /** A call to a deployed model that the gateway refused itself (401, 413): counted, not timed. */
    public void rejected(String model) {
        meters(model).outcome(Outcome.REJECTED).increment();
    }

    @Override
    public void waited(String model, Duration waited) {
        meters(model).queueWait.record(waited);
    }

    private RequestMeters meters(String model) {
        RequestMeters meters = perModel.get(model);
        return meters != null ? meters : perModel.computeIfAbsent(model, RequestMeters::new);
    }

    /** A model's request meters; a counter per outcome appears with the first request that ended so. */
    private final class RequestMeters {
        final String model;
        final Timer duration;
        final Timer queueWait;
        final AtomicReferenceArray<Counter> outcomes = new AtomicReferenceArray<>(Outcome.values().length);
        /** revision → a counter per status class (1xx to 5xx: index 1 to 5), each made on first use. */
        final Map<Integer, AtomicReferenceArray<Counter>> byRevision = new ConcurrentHashMap<>();

        RequestMeters(String model) {
            this.model = model;
            this.duration = Timer.builder("modelgate.request.duration")
                    .description("Inference latency through the gateway, queueing included")
                    .tag("model", model).publishPercentileHistogram().register(registry);
            this.queueWait = Timer.builder("modelgate.queue.wait")
                    .description("Time a request waited for a free replica or a cold start (0 when one was free)")
                    .tag("model", model).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofMinutes(2)).register(registry);
        }

        Counter outcome(Outcome outcome) {
            Counter counter = outcomes.get(outcome.ordinal());
            if (counter == null) {
                // registering is idempotent: two threads racing here get the same counter
                counter = Counter.builder("modelgate.requests").description("Inference requests by how they ended")
                        .tag("model", model).tag("outcome", outcome.tag()).register(registry);
                outcomes.set(outcome.ordinal(), counter);
            }
            return counter;
        }

        Counter answered(int revision, int status) {
            int statusClass = status >= 100 && status < 600 ? status / 100 : 5;
            AtomicReferenceArray<Counter> classes = byRevision.get(revision);
            if (classes == null) {
                classes = byRevision.computeIfAbsent(revision, r -> new AtomicReferenceArray<>(6));
            }
            Counter counter = classes.get(statusClass);
            if (counter == null) {
                counter = Counter.builder("modelgate.revision.requests")
                        .description("Inference requests a replica of the revision took, by the status class answered")
                        .tag("model", model).tag("revision", Integer.toString(revision))
                        .tag("code_class", statusClass + "xx").register(registry);
                classes.set(statusClass, counter);
            }
            return counter;
        }
    }

    /**
     * A request that arrived at {@code arrivedNanos} (System.nanoTime) found no ready replica and the gateway is
     * starting one. Further calls while that cold start is under way change nothing.
     */
    public void coldStartBegan(String model, long arrivedNanos) {
        if (coldStarts.putIfAbsent(model, arrivedNanos) == null) {
            Counter.builder("modelgate.cold.starts")
                    .description("Times a request found no ready replica and the gateway started one")
                    .tag("model", model).register(registry).increment();
        }
    }

    /** Ends the model's cold start, if one is under way: the router has a ready replica now. */
    @Override
    public void routable(String model) {
        Long began = coldStarts.remove(model);
        if (began != null) {
            Timer.builder("modelgate.cold.start.duration")
                    .description("From the request that found no ready replica until the router had one")
                    .tag("model", model).publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(100))
                    .maximumExpectedValue(Duration.ofMinutes(5)).register(registry)
                    .record(Duration.ofNanos(System.nanoTime() - began));
        }
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
        coldStarts.remove(model);
        List<Meter> meters = gauges.remove(model);
        if (meters != null) {
            meters.forEach(registry::remove);
        }
        registry.getMeters().stream()
                .filter(m -> PER_MODEL.stream().anyMatch(m.getId().getName()::startsWith)
                        && model.equals(m.getId().getTag("model")))
                .toList().forEach(registry::remove);
        // after the meters left the registry: meters cached by a request racing this one are registered anew
        perModel.remove(model);
    }
}
