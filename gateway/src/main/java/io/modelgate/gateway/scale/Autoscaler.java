package io.modelgate.gateway.scale;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the {@link Decider} for every model each tick and remembers what it carries between ticks. It asks only for
 * {@link LoadSamples} and {@link ReadyReplicas}. Thread-safe (ticks and cold starts are serialised).
 */
public final class Autoscaler {
    /** Per-second concurrency of one model, oldest first. */
    public interface LoadSamples {
        List<LoadSample> samples(String model);
    }

    /** How many replicas of a model take traffic now. */
    public interface ReadyReplicas {
        int ready(String model);
    }

    private final LoadSamples load;
    private final ReadyReplicas ready;
    private final Map<String, ScalerState> states = new HashMap<>();

    public Autoscaler(LoadSamples load, ReadyReplicas ready) {
        this.load = load;
        this.ready = ready;
    }

    /** Decides the replica count of each model; models not in {@code specs} are forgotten. */
    public synchronized Map<String, Integer> tick(Map<String, ScalingSpec> specs, Instant now) {
        states.keySet().retainAll(specs.keySet());
        Map<String, Integer> desired = new HashMap<>();
        specs.forEach((model, spec) -> {
            ScalerState previous = states.computeIfAbsent(model, m -> ScalerState.initial(now, spec.minReplicas()));
            Decision d = Decider.decide(spec, load.samples(model), ready.ready(model), previous, now);
            states.put(model, d.next());
            desired.put(model, d.desired());
        });
        return desired;
    }

    /**
     * A request arrived while the model has no replica: at least one now, kept for the scale-to-zero grace even
     * before a full second of load has been sampled.
     */
    public synchronized int coldStart(String model, ScalingSpec spec, Instant now) {
        ScalerState s = states.getOrDefault(model, ScalerState.initial(now, spec.minReplicas()));
        int desired = Math.max(1, Math.max(spec.minReplicas(), s.desired()));
        desired = Math.min(desired, spec.maxReplicas());
        states.put(model, new ScalerState(s.panicSince(), s.maxPanicPods(), now, desired));
        return desired;
    }

    public synchronized int desired(String model) {
        ScalerState s = states.get(model);
        return s == null ? 0 : s.desired();
    }
}
