package io.modelgate.gateway.route;

import io.modelgate.gateway.scale.LoadSample;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/** One model's replicas, their in-flight counts and its wait queue; every field is guarded by {@link #lock}. */
final class ModelPool {
    /** Waiters re-check at least this often, so that a replica whose ejection ran out is seen without a signal. */
    private static final long RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final String model;
    private final Clock clock;
    private final Router.Ejection ejection;
    private final Router.Observer observer;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, Replica> replicas = new LinkedHashMap<>();
    /** Replicas taken out of rotation while calls to them were in flight, until those calls end. */
    private final Map<String, Replica> draining = new HashMap<>();
    /** Percent of requests per revision; empty = every replica alike. */
    private Map<Integer, Integer> weights = Map.of();
    private final Map<Integer, Long> served = new HashMap<>();
    private final ConcurrencyRecorder recorder;
    /** Scratch lists of {@link #acquire} and {@link #pickFree}, reused under the lock rather than made per request. */
    private final List<Replica> eligible = new ArrayList<>();
    private final List<Replica> free = new ArrayList<>();
    /** Written under the lock; volatile so that {@link #replicaTimeout} may read it without. */
    private volatile RoutingPolicy policy;
    private int inFlight;
    private int waiting;
    private boolean closed;

    ModelPool(String model, RoutingPolicy policy, Clock clock, Router.Ejection ejection, Router.Observer observer) {
        this.model = model;
        this.observer = observer;
        this.policy = policy;
        this.clock = clock;
        this.ejection = ejection;
        this.recorder = new ConcurrencyRecorder(clock.instant(), Router.RETAINED_SECONDS);
    }

    private static final class Replica {
        final Endpoint endpoint;
        int inFlight;
        int connectFailures;
        Instant ejectedUntil;

        Replica(Endpoint endpoint) {
            this.endpoint = endpoint;
        }

        boolean ejectedAt(Instant now) {
            return ejectedUntil != null && now.isBefore(ejectedUntil);
        }
    }

    private enum Outcome { ANSWERED, NOT_REACHED, BROKE }

    /** Either a replica to call (its in-flight count already taken) or the answer to give without calling. */
    private record Slot<T>(Replica replica, RouteResult<T> refusal) {
    }

    Optional<Duration> replicaTimeout() {
        return policy.replicaTimeout();
    }

    void policy(RoutingPolicy policy) {
        lock.lock();
        try {
            this.policy = policy;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void endpoints(List<Endpoint> endpoints) {
        lock.lock();
        try {
            Map<String, Replica> next = new LinkedHashMap<>();
            for (Endpoint e : endpoints) {
                Replica known = replicas.get(e.id());
                if (known == null) {
                    known = draining.get(e.id()); // back in rotation: keep counting its calls in flight
                }
                next.put(e.id(), known != null && known.endpoint.equals(e) ? known : new Replica(e));
            }
            for (Replica gone : replicas.values()) {
                if (!next.containsKey(gone.endpoint.id()) && gone.inFlight > 0) {
                    draining.put(gone.endpoint.id(), gone);
                }
            }
            next.keySet().forEach(draining::remove);
            replicas.clear();
            replicas.putAll(next);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void weights(Map<Integer, Integer> weights) {
        lock.lock();
        try {
            this.weights = Map.copyOf(weights);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Calls in flight to one replica, whether it is still in rotation or was taken out (draining). */
    int inFlight(String endpointId) {
        lock.lock();
        try {
            Replica r = replicas.get(endpointId);
            if (r == null) {
                r = draining.get(endpointId);
            }
            return r == null ? 0 : r.inFlight;
        } finally {
            lock.unlock();
        }
    }

    int inFlight() {
        lock.lock();
        try {
            return inFlight;
        } finally {
            lock.unlock();
        }
    }

    /** Calls answered so far, per revision of the replica that answered. */
    Map<Integer, Long> served() {
        lock.lock();
        try {
            return Map.copyOf(served);
        } finally {
            lock.unlock();
        }
    }

    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Routes one call without blocking the calling thread while a replica is free: the slot is taken at once and
     * the call's completion releases it. Only when the call has to wait (queue, cold start) is the wait run on
     * {@code waiter}, which may block. The stage completes after the slot is released.
     */
    <T> CompletionStage<RouteResult<T>> route(AsyncReplicaCall<T> call, Consumer<String> coldStart, Executor waiter) {
        Attempt<T> attempt = new Attempt<>(call, coldStart, waiter);
        attempt.next();
        return attempt.result;
    }

    /** One routed call across its tries; a try runs only after the previous one finished, so fields need no lock. */
    private final class Attempt<T> {
        final AsyncReplicaCall<T> call;
        final Consumer<String> coldStart;
        final Executor waiter;
        /** The replicas that refused the connection, made on the first refusal (most calls have none). */
        Set<String> tried = Set.of();
        final CompletableFuture<RouteResult<T>> result = new CompletableFuture<>();
        final long arrived = System.nanoTime();
        boolean waitObserved;
        IOException lastConnectFailure;

        Attempt(AsyncReplicaCall<T> call, Consumer<String> coldStart, Executor waiter) {
            this.call = call;
            this.coldStart = coldStart;
            this.waiter = waiter;
        }

        void next() {
            Slot<T> slot;
            try {
                slot = acquire(tried, lastConnectFailure, coldStart, false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                result.completeExceptionally(e);
                return;
            }
            if (slot != null) {
                dispatch(slot);
                return;
            }
            try {
                waiter.execute(() -> {
                    try {
                        dispatch(acquire(tried, lastConnectFailure, coldStart, true));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        result.completeExceptionally(e);
                    }
                });
            } catch (RejectedExecutionException e) {
                result.complete(new RouteResult.Overloaded<>("model '" + model + "': cannot queue the request ("
                        + e.getMessage() + "); retry later", Duration.ofSeconds(1)));
            }
        }

        private void dispatch(Slot<T> slot) {
            if (!waitObserved) {
                waitObserved = true;
                observer.waited(model, Duration.ofNanos(System.nanoTime() - arrived));
            }
            if (slot.refusal() != null) {
                result.complete(slot.refusal());
                return;
            }
            Replica r = slot.replica();
            CompletionStage<T> answer;
            try {
                answer = call.call(r.endpoint);
            } catch (RuntimeException e) {
                answer = CompletableFuture.failedFuture(e);
            }
            answer.whenComplete((value, error) -> {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
                if (cause == null) {
                    release(r, Outcome.ANSWERED);
                    result.complete(new RouteResult.Served<>(value, r.endpoint));
                } else if (cause instanceof ReplicaCall.NotReachedException e) {
                    // never reached the replica: safe to try another one
                    release(r, Outcome.NOT_REACHED);
                    if (tried.isEmpty()) {
                        tried = new HashSet<>();
                    }
                    tried.add(r.endpoint.id());
                    lastConnectFailure = e;
                    next();
                } else {
                    release(r, Outcome.BROKE);
                    result.complete(new RouteResult.Failed<>("replica " + r.endpoint.id() + " of model '" + model
                            + "' failed while answering: " + cause.getMessage(),
                            cause instanceof Exception ex ? ex : new IOException(cause), r.endpoint));
                }
            });
        }
    }

    /**
     * Takes a replica's slot, or the refusal to answer. With {@code mayWait} false it never blocks on the queue and
     * answers null when the call would have to wait.
     */
    private <T> Slot<T> acquire(Set<String> tried, IOException lastConnectFailure, Consumer<String> coldStart,
                                boolean mayWait) throws InterruptedException {
        boolean queued = false;
        boolean announcedColdStart = false;
        long deadline = 0;
        lock.lockInterruptibly();
        try {
            while (true) {
                if (closed) {
                    return refuse(new RouteResult.NoReplicas<>("model '" + model + "' was removed", Duration.ZERO));
                }
                Instant now = clock.instant();
                eligible.clear();
                for (Replica r : replicas.values()) {
                    if (!r.ejectedAt(now) && !tried.contains(r.endpoint.id())) {
                        eligible.add(r);
                    }
                }
                if (eligible.isEmpty() && !tried.isEmpty()) {
                    return refuse(new RouteResult.Unreachable<>("no replica of model '" + model + "' accepted the "
                            + "connection (tried " + tried.size() + "): " + lastConnectFailure.getMessage(), lastConnectFailure));
                }
                Replica chosen = pickFree();
                if (chosen != null) {
                    chosen.inFlight++;
                    inFlight++;
                    if (queued) {
                        waiting--;
                        queued = false;
                    }
                    recorder.set(now, inFlight + waiting);
                    return new Slot<>(chosen, null);
                }
                if (!queued) {
                    if (waiting >= policy.queueLimit()) {
                        return refuse(new RouteResult.Overloaded<>("model '" + model + "' is at capacity: "
                                + inFlight + " in flight, " + waiting + " waiting (queue limit " + policy.queueLimit()
                                + "); retry later", Duration.ofSeconds(1)));
                    }
                    if (!mayWait) {
                        return null;
                    }
                    waiting++;
                    queued = true;
                    recorder.set(now, inFlight + waiting);
                    deadline = System.nanoTime() + (eligible.isEmpty() ? policy.coldStartTimeout() : policy.queueTimeout()).toNanos();
                }
                if (eligible.isEmpty() && !announcedColdStart) {
                    announcedColdStart = true;
                    coldStart.accept(model); // must not block: it only nudges the autoscaler
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    if (eligible.isEmpty()) {
                        return refuse(new RouteResult.NoReplicas<>("model '" + model + "' has no ready replica after "
                                + seconds(policy.coldStartTimeout()) + " (scaling from zero or all replicas failing); "
                                + "retry later", Duration.ofSeconds(5)));
                    }
                    return refuse(new RouteResult.Overloaded<>("model '" + model + "': no replica became free within "
                            + seconds(policy.queueTimeout()) + " (" + inFlight + " in flight, " + waiting + " waiting); "
                            + "retry later", Duration.ofSeconds(1)));
                }
                changed.awaitNanos(Math.min(left, RECHECK_NANOS));
            }
        } finally {
            if (queued) {
                waiting--;
                recorder.set(clock.instant(), inFlight + waiting);
            }
            lock.unlock();
        }
    }

    private static <T> Slot<T> refuse(RouteResult<T> result) {
        return new Slot<>(null, result);
    }

    /**
     * A revision chosen by weight among those with an eligible replica (weight-0 revisions only when no weighted one
     * has any), then power of two choices among that revision's replicas under their limit. When all of the chosen
     * revision's replicas are busy, a free replica of another revision serves rather than the call waiting.
     */
    private Replica pickFree() {
        int limit = policy.containerConcurrency();
        free.clear();
        for (Replica r : eligible) {
            if (limit == 0 || r.inFlight < limit) {
                free.add(r);
            }
        }
        if (free.isEmpty()) {
            return null;
        }
        if (weights.isEmpty()) {
            return twoChoices(free);
        }
        Map<Integer, Integer> candidates = new LinkedHashMap<>();
        int total = 0;
        for (Replica r : eligible) {
            int w = weights.getOrDefault(r.endpoint.revision(), 0);
            if (w > 0 && candidates.putIfAbsent(r.endpoint.revision(), w) == null) {
                total += w;
            }
        }
        if (total == 0) {
            return twoChoices(free);
        }
        int pick = ThreadLocalRandom.current().nextInt(total);
        int revision = -1;
        for (Map.Entry<Integer, Integer> c : candidates.entrySet()) {
            pick -= c.getValue();
            if (pick < 0) {
                revision = c.getKey();
                break;
            }
        }
        List<Replica> ofRevision = new ArrayList<>();
        List<Replica> weighted = new ArrayList<>();
        for (Replica r : free) {
            if (r.endpoint.revision() == revision) {
                ofRevision.add(r);
            }
            if (candidates.containsKey(r.endpoint.revision())) {
                weighted.add(r);
            }
        }
        return twoChoices(!ofRevision.isEmpty() ? ofRevision : !weighted.isEmpty() ? weighted : free);
    }

    private static Replica twoChoices(List<Replica> free) {
        if (free.size() == 1) {
            return free.get(0);
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int a = random.nextInt(free.size());
        int b = random.nextInt(free.size() - 1);
        if (b >= a) {
            b++;
        }
        Replica first = free.get(a);
        Replica second = free.get(b);
        return second.inFlight < first.inFlight ? second : first;
    }

    private void release(Replica r, Outcome outcome) {
        lock.lock();
        try {
            r.inFlight--;
            inFlight--;
            if (r.inFlight == 0) {
                draining.remove(r.endpoint.id(), r);
            }
            if (outcome == Outcome.ANSWERED) {
                served.merge(r.endpoint.revision(), 1L, Long::sum);
            }
            Instant now = clock.instant();
            if (outcome == Outcome.NOT_REACHED) {
                r.connectFailures++;
                if (r.connectFailures >= ejection.consecutiveFailures()) {
                    r.ejectedUntil = now.plus(ejection.duration());
                }
            } else {
                r.connectFailures = 0;
                r.ejectedUntil = null;
            }
            recorder.set(now, inFlight + waiting);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    List<LoadSample> samples() {
        lock.lock();
        try {
            return recorder.samples(clock.instant());
        } finally {
            lock.unlock();
        }
    }

    Router.PoolStats stats() {
        lock.lock();
        try {
            Instant now = clock.instant();
            int eligible = 0;
            for (Replica r : replicas.values()) {
                if (!r.ejectedAt(now)) {
                    eligible++;
                }
            }
            return new Router.PoolStats(replicas.size(), eligible, inFlight, waiting);
        } finally {
            lock.unlock();
        }
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }
}
