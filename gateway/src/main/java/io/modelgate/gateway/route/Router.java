package io.modelgate.gateway.route;

import io.modelgate.gateway.scale.LoadSample;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Routes calls for a model to its ready replicas: power-of-two-choices on in-flight count, a per-replica concurrency
 * limit with a bounded wait queue, a bounded wait while the model scales from zero, and ejection of replicas that
 * refuse connections. Records the concurrency samples the autoscaler decides on. Thread-safe.
 */
public final class Router {
    /** Samples kept per model: enough for the longest stable window the API accepts. */
    public static final int RETAINED_SECONDS = 600;
    /** The response header naming the revision of the deployment whose replica answered. */
    public static final String REVISION_HEADER = "modelgate-revision";

    private final Clock clock;
    private final Ejection ejection;
    private final Consumer<String> coldStart;
    private final Observer observer;
    private final ConcurrentMap<String, ModelPool> pools = new ConcurrentHashMap<>();
    /** Unregistered pools with calls still in flight, so that {@link #inFlight} can tell when they are drained. */
    private final ConcurrentMap<ModelPool, String> closing = new ConcurrentHashMap<>();

    /**
     * @param coldStart called with the model's name when a request arrives while it has no ready replica, so the
     *                  autoscaler can act before its next tick
     * @param observer  told how long requests waited and when a model becomes routable (the metrics)
     */
    public Router(Clock clock, Ejection ejection, Consumer<String> coldStart, Observer observer) {
        this.clock = clock;
        this.ejection = ejection;
        this.coldStart = coldStart;
        this.observer = observer;
    }

    public Router(Clock clock, Ejection ejection, Consumer<String> coldStart) {
        this(clock, ejection, coldStart, Observer.NONE);
    }

    public Router(Clock clock) {
        this(clock, Ejection.DEFAULT, model -> { });
    }

    /** Starts routing for a model, or changes its policy; its replicas stay. */
    public void register(String model, RoutingPolicy policy) {
        pools.compute(model, (name, pool) -> {
            if (pool == null) {
                return new ModelPool(name, policy, clock, ejection, observer);
            }
            pool.policy(policy);
            return pool;
        });
    }

    /** Stops routing a model: waiting callers are answered NoReplicas, calls in flight finish. */
    public void unregister(String model) {
        ModelPool pool = pools.remove(model);
        if (pool != null) {
            pool.close();
            if (pool.inFlight() > 0) {
                closing.put(pool, model);
            }
        }
    }

    /**
     * How a model's requests are split between the revisions its endpoints run: percent per revision. A revision
     * missing or at 0 gets requests only while no weighted revision has a replica to take them (e.g. the old
     * revision of a rolling update until the new one is ready). An empty map treats every endpoint alike.
     */
    public void setWeights(String model, java.util.Map<Integer, Integer> weights) {
        pool(model).orElseThrow(() -> new IllegalArgumentException("model '" + model + "' is not registered"))
                .weights(weights);
    }

    /**
     * Calls in flight to one replica of a model, including one already taken out of rotation or of a model already
     * unregistered: 0 means it can be stopped without failing a call.
     */
    public int inFlight(String model, String endpointId) {
        int n = pool(model).map(p -> p.inFlight(endpointId)).orElse(0);
        for (ModelPool p : closing.keySet()) {
            int c = p.inFlight(endpointId);
            if (p.inFlight() == 0) {
                closing.remove(p);
            }
            n += c;
        }
        return n;
    }

    /** Calls answered so far by a model's replicas, per revision (0 for endpoints without one). */
    public java.util.Map<Integer, Long> served(String model) {
        return pool(model).map(ModelPool::served).orElse(java.util.Map.of());
    }

    /** The replicas that are ready now; ones not listed are no longer chosen (calls in flight to them finish). */
    public void setEndpoints(String model, List<Endpoint> endpoints) {
        pool(model).orElseThrow(() -> new IllegalArgumentException("model '" + model + "' is not registered"))
                .endpoints(endpoints);
        if (!endpoints.isEmpty()) {
            observer.routable(model);
        }
    }

    /** Routes a blocking call; the calling thread waits for a slot and runs the call. */
    public <T> RouteResult<T> route(String model, ReplicaCall<T> call) throws InterruptedException {
        CompletionStage<RouteResult<T>> routed = route(model, endpoint -> {
            try {
                return CompletableFuture.completedFuture(call.call(endpoint));
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return CompletableFuture.failedFuture(e);
            }
        }, Runnable::run);
        try {
            return routed.toCompletableFuture().get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof InterruptedException ie) {
                throw ie;
            }
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Routes a non-blocking call: when a replica is free the slot is taken and the call started on the calling
     * thread (an event loop may call this); a call that must wait (queue, cold start) waits on {@code waiter}.
     * The stage completes once the replica's slot is released.
     */
    public <T> CompletionStage<RouteResult<T>> route(String model, AsyncReplicaCall<T> call, Executor waiter) {
        ModelPool pool = pools.get(model);
        if (pool == null) {
            return CompletableFuture.completedFuture(new RouteResult.UnknownModel<>(model));
        }
        return pool.route(call, coldStart, waiter);
    }

    /** Per-second concurrency (in flight + waiting) for the autoscaler, oldest first. */
    public List<LoadSample> samples(String model) {
        return pool(model).map(ModelPool::samples).orElse(List.of());
    }

    /** The model's own replica timeout, when its deployment sets one. */
    public Optional<Duration> replicaTimeout(String model) {
        ModelPool pool = pools.get(model);
        return pool == null ? Optional.empty() : pool.replicaTimeout();
    }

    public Optional<PoolStats> stats(String model) {
        return pool(model).map(ModelPool::stats);
    }

    public Set<String> models() {
        return Set.copyOf(pools.keySet());
    }

    private Optional<ModelPool> pool(String model) {
        return Optional.ofNullable(pools.get(model));
    }

    /** What routing tells the metrics; called on request and event-loop threads, so it must not block. */
    public interface Observer {
        Observer NONE = new Observer() {
        };

        /**
         * A routed request got a replica's slot, or its refusal, after waiting {@code waited} for a free replica or
         * a cold start: once per request, at its first slot or refusal; about zero when a replica was free at once.
         */
        default void waited(String model, Duration waited) {
        }

        /** The model has at least one ready replica to route to now ({@link #setEndpoints} with a non-empty list). */
        default void routable(String model) {
        }
    }

    /** A snapshot of one model's routing state. */
    public record PoolStats(int endpoints, int eligible, int inFlight, int waiting) {
    }

    /**
     * When a replica is taken out of rotation: after {@code consecutiveFailures} connection failures in a row, for
     * {@code duration}; then it is probed back with live traffic, and one more failure ejects it again.
     */
    public record Ejection(int consecutiveFailures, Duration duration) {
        public static final Ejection DEFAULT = new Ejection(3, Duration.ofSeconds(10));

        public Ejection {
            if (consecutiveFailures < 1) {
                throw new IllegalArgumentException("consecutiveFailures must be at least 1, got " + consecutiveFailures);
            }
        }
    }
}
