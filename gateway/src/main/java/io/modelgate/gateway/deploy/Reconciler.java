package io.modelgate.gateway.deploy;

import io.modelgate.gateway.route.Endpoint;
import io.modelgate.gateway.route.Router;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Makes the replicas of each deployment match the desired count: starts missing ones, probes them until ready and
 * only then hands them to the router; takes extra ones out of the router before stopping them. Blocking work runs on
 * the given executor; the bookkeeping is guarded by {@code this}.
 *
 * <p>On start, {@link #recover} re-adopts the replicas an earlier gateway process left running (probing them like new
 * ones) and removes the rest, so that a gateway killed mid-way leaves nothing behind once it is back.
 *
 * <p>Not done yet: a replica that hangs but keeps running is only ejected by the router (no periodic readiness
 * probe after the first).
 */
public final class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ReplicaRuntime runtime;
    private final Router router;
    private final Executor executor;
    private final Duration readyTimeout;
    private final Map<String, Model> models = new HashMap<>();

    public Reconciler(ReplicaRuntime runtime, Router router, Executor executor, Duration readyTimeout) {
        this.runtime = runtime;
        this.router = router;
        this.executor = executor;
        this.readyTimeout = readyTimeout;
    }

    /**
     * One model's replicas as the reconciler tracks them.
     *
     * @param lastError why the last replica failed to start or get ready; cleared when one gets ready
     * @param exits     how many ready replicas have exited (and were replaced) so far
     * @param lastExit  how the last of them ended
     */
    public record Status(int desired, int ready, int starting, Optional<String> lastError, int exits,
                         Optional<String> lastExit) {
    }

    private static final class Model {
        DeploymentSpec spec;
        int desired;
        final List<Tracked> replicas = new ArrayList<>();
        String lastError;
        int exits;
        String lastExit;
    }

    private static final class Tracked {
        final String name;
        ReplicaRuntime.Replica replica;
        boolean ready;
        boolean stopping;

        Tracked(String name) {
            this.name = name;
        }
    }

    /**
     * Adopts the running replicas an earlier gateway process left for a deployment that is still stored with the
     * same image, and removes every other one (see {@link Adoption}). Call once, before the first reconcile.
     */
    public void recover(List<DeploymentSpec> specs) throws IOException {
        Map<String, DeploymentSpec> byName = new HashMap<>();
        Map<String, String> wanted = new HashMap<>();
        for (DeploymentSpec s : specs) {
            byName.put(s.name(), s);
            runtime.imageDigest(s).ifPresent(d -> wanted.put(s.name(), d));
        }
        Adoption.Plan plan = Adoption.plan(wanted, runtime.leftOver());
        for (Adoption.Removal r : plan.remove()) {
            LOG.infof("removing replica %s left by an earlier gateway process: it %s", r.replica().replica().name(),
                    r.why());
            try {
                runtime.stop(r.replica().replica());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while removing replica " + r.replica().replica().name(), e);
            } catch (IOException e) {
                LOG.warnf("could not remove replica %s: %s", r.replica().replica().name(), e.getMessage());
            }
        }
        for (ReplicaRuntime.LeftOver f : plan.adopt()) {
            LOG.infof("re-adopting replica %s of model '%s' left by an earlier gateway process",
                    f.replica().name(), f.deployment());
            adopt(byName.get(f.deployment()), f.replica());
        }
    }

    private synchronized void adopt(DeploymentSpec spec, ReplicaRuntime.Replica replica) {
        Model m = models.computeIfAbsent(spec.name(), n -> new Model());
        if (!spec.equals(m.spec)) {
            router.register(spec.name(), spec.routing());
            m.spec = spec;
        }
        if (m.replicas.stream().anyMatch(t -> t.replica != null && t.replica.id().equals(replica.id()))) {
            return; // tracked already
        }
        Tracked t = new Tracked(replica.name());
        t.replica = replica;
        m.replicas.add(t);
        executor.execute(() -> probe(m, t, spec, replica));
    }

    /** Brings every deployment towards its desired count; deployments no longer listed lose all replicas. */
    public synchronized void reconcile(List<DeploymentSpec> specs, Map<String, Integer> desired) {
        Map<String, DeploymentSpec> byName = new HashMap<>();
        specs.forEach(s -> byName.put(s.name(), s));
        for (String gone : new ArrayList<>(models.keySet())) {
            if (!byName.containsKey(gone)) {
                Model m = models.remove(gone);
                router.unregister(gone);
                m.replicas.forEach(t -> stop(m, t));
            }
        }
        byName.forEach((name, spec) -> scale(spec, desired.getOrDefault(name, spec.minReplicas())));
    }

    /** Brings one deployment to {@code desired} replicas. */
    public synchronized void scale(DeploymentSpec spec, int desired) {
        Model m = models.computeIfAbsent(spec.name(), n -> new Model());
        if (!spec.equals(m.spec)) {
            // a changed spec only changes routing here; rolling replicas onto a new spec is not done yet
            router.register(spec.name(), spec.routing());
            m.spec = spec;
        }
        m.desired = desired;
        List<Tracked> live = m.replicas.stream().filter(t -> !t.stopping).toList();
        for (int i = live.size(); i < desired; i++) {
            Tracked t = new Tracked(spec.name() + "-" + HexFormat.of().formatHex(randomBytes()));
            m.replicas.add(t);
            executor.execute(() -> startAndProbe(m, t));
        }
        if (live.size() > desired) {
            // not-ready ones go first, then the newest
            List<Tracked> victims = new ArrayList<>(live);
            victims.sort((a, b) -> Boolean.compare(a.ready, b.ready));
            for (Tracked t : victims.subList(0, live.size() - desired)) {
                t.stopping = true;
            }
            publish(spec.name(), m);
            victims.subList(0, live.size() - desired).forEach(t -> stop(m, t));
        }
    }

    /**
     * Takes replicas whose process has exited out of the router and the count, so that the next
     * {@link #reconcile} replaces them; the reason is kept as the model's last error.
     */
    public void removeExited() {
        List<Tracked> ready = new ArrayList<>();
        synchronized (this) {
            for (Model m : models.values()) {
                for (Tracked t : m.replicas) {
                    if (t.ready && !t.stopping) {
                        ready.add(t);
                    }
                }
            }
        }
        for (Tracked t : ready) {
            Optional<String> why = runtime.exited(t.replica);
            if (why.isPresent()) {
                synchronized (this) {
                    for (Map.Entry<String, Model> e : models.entrySet()) {
                        Model m = e.getValue();
                        if (m.replicas.contains(t) && !t.stopping) {
                            LOG.warnf("replica %s of model '%s' %s", t.name, e.getKey(), why.get());
                            m.lastExit = "replica " + t.name + " " + why.get();
                            m.exits++;
                            t.stopping = true;
                            publish(e.getKey(), m);
                            stop(m, t);
                        }
                    }
                }
            }
        }
    }

    public synchronized int ready(String model) {
        Model m = models.get(model);
        return m == null ? 0 : (int) m.replicas.stream().filter(t -> t.ready && !t.stopping).count();
    }

    /** The replicas whose container was started and is not removed yet (stopping ones too), by deployment name. */
    public synchronized Map<String, List<ReplicaRuntime.Replica>> running() {
        Map<String, List<ReplicaRuntime.Replica>> running = new HashMap<>();
        models.forEach((name, m) -> running.put(name, m.replicas.stream().filter(t -> t.replica != null)
                .map(t -> t.replica).toList()));
        return running;
    }

    public synchronized Optional<Status> status(String model) {
        Model m = models.get(model);
        if (m == null) {
            return Optional.empty();
        }
        int ready = 0;
        int starting = 0;
        for (Tracked t : m.replicas) {
            if (!t.stopping) {
                if (t.ready) {
                    ready++;
                } else {
                    starting++;
                }
            }
        }
        return Optional.of(new Status(m.desired, ready, starting, Optional.ofNullable(m.lastError), m.exits,
                Optional.ofNullable(m.lastExit)));
    }

    /** Stops every replica this reconciler started (gateway shutdown). */
    public void stopAll() {
        List<ReplicaRuntime.Replica> all = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<String, Model> e : models.entrySet()) {
                router.unregister(e.getKey());
                for (Tracked t : e.getValue().replicas) {
                    t.stopping = true;
                    if (t.replica != null) {
                        all.add(t.replica);
                    }
                }
            }
            models.clear();
        }
        for (ReplicaRuntime.Replica r : all) {
            try {
                runtime.stop(r);
            } catch (Exception e) {
                LOG.warnf("could not stop replica %s: %s", r.name(), e.getMessage());
            }
        }
    }

    private void startAndProbe(Model m, Tracked t) {
        DeploymentSpec spec;
        synchronized (this) {
            if (t.stopping) {
                m.replicas.remove(t);
                return;
            }
            spec = m.spec;
        }
        ReplicaRuntime.Replica replica;
        try {
            replica = runtime.start(spec, t.name);
        } catch (Exception e) {
            LOG.warnf("could not start replica %s of model '%s': %s", t.name, spec.name(), e.getMessage());
            synchronized (this) {
                m.replicas.remove(t);
                m.lastError = "replica " + t.name + " did not start: " + e.getMessage();
            }
            return;
        }
        synchronized (this) {
            t.replica = replica;
            if (t.stopping) {
                stop(m, t);
                return;
            }
        }
        probe(m, t, spec, replica);
    }

    /** Probes until ready, then routes to it; stops it when it is not ready in time. */
    private void probe(Model m, Tracked t, DeploymentSpec spec, ReplicaRuntime.Replica replica) {
        long deadline = System.nanoTime() + readyTimeout.toNanos();
        try {
            while (System.nanoTime() < deadline) {
                synchronized (this) {
                    if (t.stopping) {
                        return; // whoever set stopping stops it
                    }
                }
                if (runtime.ready(replica)) {
                    synchronized (this) {
                        if (!t.stopping) {
                            t.ready = true;
                            m.lastError = null;
                            publish(spec.name(), m);
                        }
                    }
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            m.lastError = "replica " + t.name + " was not ready (" + replica.healthPath() + ") within "
                    + readyTimeout.toSeconds() + " s; see its logs with 'modelgate logs " + t.name + "'";
            t.stopping = true;
            stop(m, t);
        }
    }

    /** Called with the lock held. */
    private void stop(Model m, Tracked t) {
        t.stopping = true;
        ReplicaRuntime.Replica r = t.replica;
        if (r == null) {
            return; // still starting: startAndProbe sees stopping and stops it
        }
        executor.execute(() -> {
            try {
                runtime.stop(r);
            } catch (Exception e) {
                LOG.warnf("could not stop replica %s: %s", r.name(), e.getMessage());
            } finally {
                synchronized (this) {
                    m.replicas.remove(t);
                }
            }
        });
    }

    /** Called with the lock held. */
    private void publish(String model, Model m) {
        List<Endpoint> ready = new ArrayList<>();
        for (Tracked t : m.replicas) {
            if (t.ready && !t.stopping) {
                ready.add(Endpoint.of(t.replica.id(), t.replica.base()));
            }
        }
        if (models.get(model) == m) {
            router.setEndpoints(model, ready);
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return b;
    }
}
