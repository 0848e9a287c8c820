package io.modelgate.gateway.deploy;

import io.modelgate.gateway.route.Endpoint;
import io.modelgate.gateway.route.Router;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Makes the replicas of each deployment match its revisions and the desired count. Each revision that takes
 * requests (weight above 0) gets its share of the desired count, at least one while the count is above 0; a new
 * replica is probed until ready and only then handed to the router. Replicas of revisions that no longer take
 * requests are retired only once every weighted revision has all its replicas ready (a rolling update surges, then
 * retires), and a retired replica is first taken out of the router, then drained (its calls in flight finish, up to
 * the drain timeout), then stopped — the same for scale-down and delete, so that no call fails on the way.
 *
 * <p>A replica whose process exits (or that does not start or get ready) is restarted after a back-off that starts
 * at 1 s and doubles up to 5 min, reset once a replica has been ready for 10 min; while it waits it shows as
 * crashed. A replica that cannot start for want of a GPU is pending and retried every tick.
 *
 * <p>Blocking work runs on the given executor; the bookkeeping is guarded by {@code this}. On start, {@link #recover}
 * re-adopts the replicas an earlier gateway process left running (probing them like new ones) and removes the rest.
 */
public final class Reconciler {
    private static final Logger LOG = Logger.getLogger(Reconciler.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    /** A replica ready this long before it exits starts its back-off from the beginning again. */
    static final Duration BACKOFF_RESET = Duration.ofMinutes(10);

    private final ReplicaRuntime runtime;
    private final Router router;
    private final Executor executor;
    private final Clock clock;
    private final Timeouts timeouts;
    private final Map<String, Model> models = new HashMap<>();
    /** Replicas being stopped by a worker now; shutdown waits for them rather than stopping them a second time. */
    private final Set<ReplicaRuntime.Replica> stopping = ConcurrentHashMap.newKeySet();
    /** Set on shutdown: drains end at once. */
    private volatile boolean closing;

    /**
     * @param ready how long a new replica may take to answer its readiness probe
     * @param drain how long a retired replica's calls in flight may take before it is stopped anyway
     */
    public record Timeouts(Duration ready, Duration drain) {
        public static final Timeouts DEFAULT = new Timeouts(Duration.ofSeconds(120), Duration.ofSeconds(30));
    }

    public Reconciler(ReplicaRuntime runtime, Router router, Executor executor, Clock clock, Timeouts timeouts) {
        this.runtime = runtime;
        this.router = router;
        this.executor = executor;
        this.clock = clock;
        this.timeouts = timeouts;
    }

    /** What a replica is doing, as GET /models/{name} shows it. */
    public enum State {
        STARTING, READY, DRAINING, PENDING, CRASHED;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One replica as shown to users.
     *
     * @param lastExit   how the slot's last replica ended (exit code, OOM kill, not ready in time)
     * @param lastOutput the last lines of output of the last replica in the slot that failed and had any (its
     *                   container is gone), to say why
     * @param reason     why it is pending or crashed, and when it is restarted
     */
    public record ReplicaView(String name, int revision, State state, Optional<URI> address, int restarts,
                              Optional<String> lastExit, Optional<Output> lastOutput, Optional<String> reason) {
    }

    /** A failed replica's last lines of output, each at most {@link #OUTPUT_LINE_CHARS} characters. */
    public record Output(String replica, List<String> lines) {
        public Output {
            lines = lines.stream().map(Output::trim).toList();
        }

        /** What a terminal would show of the line (the text after its last carriage return), cut to a size. */
        private static String trim(String line) {
            String shown = line.substring(line.lastIndexOf('\r') + 1);
            return shown.length() <= OUTPUT_LINE_CHARS ? shown
                    : shown.substring(0, OUTPUT_LINE_CHARS) + "... (" + shown.length() + " characters)";
        }
    }

    static final int OUTPUT_LINE_CHARS = 1_000;

    /** How many of a failed replica's last lines of output its slot keeps. */
    static final int LAST_OUTPUT_LINES = 20;

    /**
     * One model's replicas as the reconciler tracks them.
     *
     * @param lastError why the last replica failed to start or get ready; cleared when one gets ready
     * @param exits     how many replicas have exited (and were restarted) so far
     * @param lastExit  how the last of them ended
     */
    public record Status(int desired, int ready, int starting, Optional<String> lastError, int exits,
                         Optional<String> lastExit, List<ReplicaView> replicas) {
        public Status {
            replicas = List.copyOf(replicas);
        }
    }

    private static final class Model {
        final String name;
        Deployment deployment;
        int desired;
        /** False for a model only adopted so far: no count was asked for yet, so nothing is retired. */
        boolean scaled;
        final List<Slot> slots = new ArrayList<>();
        String lastError;
        int exits;
        String lastExit;

        Model(String name) {
            this.name = name;
        }
    }

    /** A place for one replica: it keeps its restart count and back-off across the containers that fill it. */
    private static final class Slot {
        final Revision revision;
        String name;
        ReplicaRuntime.Replica replica;
        State state = State.STARTING;
        int restarts;
        int failures;
        Instant readySince;
        Instant restartAt;
        String lastExit;
        Output lastOutput;
        String reason;

        Slot(Revision revision, String name) {
            this.revision = revision;
            this.name = name;
        }
    }

    /**
     * Adopts the running replicas an earlier gateway process left for a revision the stored deployment still lists,
     * with the same image, and removes every other one (see {@link Adoption}). Call once, before the first reconcile.
     */
    public void recover(List<Deployment> deployments) throws IOException {
        Map<String, Deployment> byName = new HashMap<>();
        Map<String, Map<Integer, String>> wanted = new HashMap<>();
        for (Deployment d : deployments) {
            Deployment full = withRevisions(d);
            byName.put(d.name(), full);
            if (!full.revisions().isEmpty()) {
                Map<Integer, String> digests = new HashMap<>();
                full.revisions().forEach(r -> digests.put(r.number(), r.digest()));
                wanted.put(d.name(), digests);
            }
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
            LOG.infof("re-adopting replica %s (revision %d) of model '%s' left by an earlier gateway process",
                    f.replica().name(), f.revision(), f.deployment());
            adopt(byName.get(f.deployment()), f);
        }
    }

    private synchronized void adopt(Deployment d, ReplicaRuntime.LeftOver found) {
        Model m = model(d);
        if (m.slots.stream().anyMatch(s -> s.replica != null && s.replica.id().equals(found.replica().id()))) {
            return; // tracked already
        }
        Revision revision = m.deployment.revision(found.revision()).orElseThrow();
        Slot s = new Slot(revision, found.replica().name());
        s.replica = found.replica();
        m.slots.add(s);
        ReplicaRuntime.Replica replica = found.replica();
        executor.execute(() -> probe(m, s, replica));
    }

    /** Brings every deployment towards its desired count; deployments no longer listed lose all replicas. */
    public synchronized void reconcile(List<Deployment> deployments, Map<String, Integer> desired) {
        Map<String, Deployment> byName = new HashMap<>();
        deployments.forEach(d -> byName.put(d.name(), d));
        for (String gone : new ArrayList<>(models.keySet())) {
            if (!byName.containsKey(gone)) {
                Model m = models.remove(gone);
                router.unregister(gone);
                new ArrayList<>(m.slots).forEach(s -> retire(m, s));
            }
        }
        byName.forEach((name, d) -> scale(d, desired.getOrDefault(name, d.spec().minReplicas())));
    }

    /** Brings one deployment to {@code desired} replicas, spread over its revisions by weight. */
    public synchronized void scale(Deployment d, int desired) {
        Model m = model(d);
        m.desired = desired;
        m.scaled = true;
        converge(m);
    }

    /** The model's record, registered with the router and brought up to date with {@code d}. Lock held. */
    private Model model(Deployment d) {
        Model m = models.computeIfAbsent(d.name(), Model::new);
        if (m.deployment == null || !m.deployment.spec().routing().equals(d.spec().routing())) {
            router.register(d.name(), d.spec().routing());
        }
        if (m.deployment == null || !(d.equals(m.deployment) || d.revisions().isEmpty()
                && d.spec().equals(m.deployment.spec()))) {
            m.deployment = withRevisions(d);
            Map<Integer, Integer> weights = new HashMap<>();
            m.deployment.revisions().forEach(r -> weights.put(r.number(), r.weight()));
            router.setWeights(d.name(), weights);
        }
        return m;
    }

    /** A deployment stored before it had revisions runs its spec as revision 1. */
    private Deployment withRevisions(Deployment d) {
        if (!d.revisions().isEmpty()) {
            return d;
        }
        String digest = runtime.imageDigest(d.spec()).orElse(d.spec().image());
        return new Deployment(d.spec(), d.createdAt(), List.of(Revision.first(d.spec(), digest)));
    }

    /** Starts, restarts and retires replicas so the model heads for its revisions and count. Lock held. */
    private void converge(Model m) {
        Instant now = clock.instant();
        boolean allReady = true;
        List<Integer> weighted = new ArrayList<>();
        for (Revision rev : m.deployment.revisions()) {
            if (rev.weight() == 0) {
                continue;
            }
            weighted.add(rev.number());
            int target = m.desired == 0 ? 0 : Math.max(1, (int) Math.ceil(m.desired * rev.weight() / 100.0));
            List<Slot> live = new ArrayList<>();
            for (Slot s : m.slots) {
                if (s.revision.number() == rev.number() && s.state != State.DRAINING) {
                    live.add(s);
                }
            }
            for (Slot s : live) {
                if (s.state == State.PENDING || s.state == State.CRASHED && !now.isBefore(s.restartAt)) {
                    restart(m, s);
                }
            }
            for (int i = live.size(); i < target; i++) {
                Slot s = new Slot(rev, newName(m.name));
                m.slots.add(s);
                live.add(s);
                executor.execute(() -> startAndProbe(m, s));
            }
            if (live.size() > target) {
                // the ones serving nothing go first, then the newest
                live.sort(Comparator.comparing((Slot s) -> s.state == State.READY)
                        .thenComparing(s -> s.readySince == null ? Instant.MAX : s.readySince, Comparator.reverseOrder()));
                live.subList(0, live.size() - target).forEach(s -> retire(m, s));
            }
            long ready = m.slots.stream().filter(s -> s.revision.number() == rev.number() && s.state == State.READY).count();
            if (ready < target) {
                allReady = false;
            }
        }
        for (Slot s : new ArrayList<>(m.slots)) {
            if (!weighted.contains(s.revision.number()) && s.state != State.DRAINING
                    && (allReady || s.state != State.READY)) {
                retire(m, s);
            }
        }
        publish(m);
    }

    /** Fills a crashed or pending slot with a new container. Lock held. */
    private void restart(Model m, Slot s) {
        if (s.state == State.CRASHED) {
            s.restarts++;
        }
        s.name = newName(m.name);
        s.state = State.STARTING;
        s.reason = null;
        executor.execute(() -> startAndProbe(m, s));
    }

    /**
     * Takes replicas whose process has exited out of the router; they are restarted after their back-off. The
     * reason is kept as the model's last exit.
     */
    public void removeExited() {
        record Check(Model m, Slot s, ReplicaRuntime.Replica replica) {
        }
        List<Check> checks = new ArrayList<>();
        synchronized (this) {
            for (Model m : models.values()) {
                for (Slot s : m.slots) {
                    if ((s.state == State.READY || s.state == State.STARTING) && s.replica != null) {
                        checks.add(new Check(m, s, s.replica));
                    }
                }
            }
        }
        for (Check c : checks) {
            Optional<String> why = runtime.exited(c.replica());
            if (why.isPresent()) {
                List<String> output = runtime.lastOutput(c.replica(), LAST_OUTPUT_LINES);
                synchronized (this) {
                    Slot s = c.s();
                    if (models.get(c.m().name) == c.m() && s.replica == c.replica()
                            && (s.state == State.READY || s.state == State.STARTING)) {
                        LOG.warnf("replica %s of model '%s' %s", s.name, c.m().name, why.get());
                        c.m().lastExit = "replica " + s.name + " " + why.get();
                        c.m().exits++;
                        crashed(c.m(), s, why.get(), output);
                    }
                }
            }
        }
    }

    /**
     * Marks a slot crashed, removes its container and sets when it is restarted; its last lines of {@code output}
     * are kept, as its logs go with the container. Lock held.
     */
    private void crashed(Model m, Slot s, String why, List<String> output) {
        Instant now = clock.instant();
        if (s.readySince != null && Duration.between(s.readySince, now).compareTo(BACKOFF_RESET) >= 0) {
            s.failures = 0;
        }
        Duration delay = backoff(s.failures);
        s.failures++;
        s.state = State.CRASHED;
        s.lastExit = why;
        if (!output.isEmpty()) {
            s.lastOutput = new Output(s.name, output); // a later failure without output does not hide it
        }
        s.readySince = null;
        s.restartAt = now.plus(delay);
        s.reason = (s.failures > 1 ? "crash loop: failed " + s.failures + " times in a row; " : "")
                + "restarting in " + DeploymentJson.format(delay) + " (back-off)";
        ReplicaRuntime.Replica r = s.replica;
        s.replica = null;
        publish(m);
        if (r != null) {
            stopLater(r);
        }
    }

    /** Stops a replica on a worker, where {@link #stopAll} can wait for it. */
    private void stopLater(ReplicaRuntime.Replica r) {
        stopping.add(r);
        executor.execute(() -> {
            try {
                stopQuietly(r);
            } finally {
                stopping.remove(r);
            }
        });
    }

    /** 1 s, 2 s, 4 s, … up to 5 min. */
    static Duration backoff(int failuresSoFar) {
        if (failuresSoFar >= 20) {
            return MAX_BACKOFF;
        }
        Duration d = FIRST_BACKOFF.multipliedBy(1L << failuresSoFar);
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    public synchronized int ready(String model) {
        Model m = models.get(model);
        return m == null ? 0 : (int) m.slots.stream().filter(s -> s.state == State.READY).count();
    }

    /** The replicas whose container was started and is not removed yet (stopping ones too), by deployment name. */
    public synchronized Map<String, List<ReplicaRuntime.Replica>> running() {
        Map<String, List<ReplicaRuntime.Replica>> running = new HashMap<>();
        models.forEach((name, m) -> running.put(name, m.slots.stream().filter(t -> t.replica != null)
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
        List<ReplicaView> views = new ArrayList<>();
        for (Slot s : m.slots) {
            if (s.state == State.READY) {
                ready++;
            } else if (s.state == State.STARTING) {
                starting++;
            }
            views.add(new ReplicaView(s.name, s.revision.number(), s.state,
                    Optional.ofNullable(s.replica).map(r -> r.base().resolve("/")), s.restarts,
                    Optional.ofNullable(s.lastExit), Optional.ofNullable(s.lastOutput), Optional.ofNullable(s.reason)));
        }
        views.sort(Comparator.comparingInt(ReplicaView::revision).thenComparing(ReplicaView::name));
        return Optional.of(new Status(m.desired, ready, starting, Optional.ofNullable(m.lastError), m.exits,
                Optional.ofNullable(m.lastExit), views));
    }

    /**
     * Stops every replica this reconciler started (gateway shutdown): drains in progress end at once, and the stops
     * already under way are waited for (up to a minute), so that none is cut off half-way.
     */
    public void stopAll() {
        closing = true;
        List<ReplicaRuntime.Replica> all = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<String, Model> e : models.entrySet()) {
                router.unregister(e.getKey());
                for (Slot s : e.getValue().slots) {
                    s.state = State.DRAINING;
                    if (s.replica != null && !stopping.contains(s.replica)) {
                        all.add(s.replica);
                    }
                }
            }
            models.clear();
        }
        all.forEach(this::stopQuietly);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        try {
            while (!stopping.isEmpty() && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void startAndProbe(Model m, Slot s) {
        DeploymentSpec spec;
        String name;
        synchronized (this) {
            if (s.state != State.STARTING) {
                m.slots.remove(s); // retired before it started
                return;
            }
            spec = s.revision.replicaSpec(m.deployment.spec());
            name = s.name;
        }
        ReplicaRuntime.Replica replica;
        try {
            replica = runtime.start(spec, s.revision.number(), name);
        } catch (ReplicaRuntime.PendingException e) {
            synchronized (this) {
                if (s.state == State.STARTING) {
                    s.state = State.PENDING;
                    s.reason = e.getMessage();
                } else {
                    m.slots.remove(s);
                }
            }
            return;
        } catch (Exception e) {
            LOG.warnf("could not start replica %s of model '%s': %s", name, m.name, e.getMessage());
            synchronized (this) {
                m.lastError = "replica " + name + " did not start: " + e.getMessage();
                if (s.state == State.STARTING) {
                    crashed(m, s, "did not start: " + e.getMessage(), List.of());
                } else {
                    m.slots.remove(s);
                }
            }
            return;
        }
        synchronized (this) {
            s.replica = replica;
            if (s.state != State.STARTING) {
                s.replica = null;
                m.slots.remove(s);
                stopLater(replica);
                return;
            }
        }
        probe(m, s, replica);
    }

    /** Probes until ready, then routes to it; a replica not ready in time counts as crashed. */
    private void probe(Model m, Slot s, ReplicaRuntime.Replica replica) {
        long deadline = System.nanoTime() + timeouts.ready().toNanos();
        try {
            while (System.nanoTime() < deadline) {
                synchronized (this) {
                    if (s.state != State.STARTING || s.replica != replica) {
                        return; // retired or crashed: whoever changed it stops it
                    }
                }
                if (runtime.ready(replica)) {
                    synchronized (this) {
                        if (s.state == State.STARTING && s.replica == replica) {
                            s.state = State.READY;
                            s.readySince = clock.instant();
                            s.reason = null;
                            m.lastError = null;
                            if (models.get(m.name) == m && m.scaled) {
                                converge(m); // routes it, and may retire an older revision
                            } else {
                                publish(m);
                            }
                        }
                    }
                    return;
                }
                TimeUnit.MILLISECONDS.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        List<String> output = runtime.lastOutput(replica, LAST_OUTPUT_LINES);
        synchronized (this) {
            if (s.state == State.STARTING && s.replica == replica) {
                m.lastError = "replica " + s.name + " was not ready (" + replica.healthPath() + ") within "
                        + timeouts.ready().toSeconds() + " s; GET /models/" + m.name + " shows its last lines of output (lastOutput)";
                crashed(m, s, "was not ready within " + timeouts.ready().toSeconds() + " s", output);
            }
        }
    }

    /**
     * Takes a slot out of service: out of the router first, then (for a ready replica) a wait until its calls in
     * flight have finished or the drain timeout, then the container is stopped. Lock held.
     */
    private void retire(Model m, Slot s) {
        if (s.state == State.DRAINING) {
            return;
        }
        State was = s.state;
        boolean wasReady = was == State.READY;
        s.state = State.DRAINING;
        ReplicaRuntime.Replica r = s.replica;
        if (r == null) {
            if (was == State.CRASHED || was == State.PENDING) {
                m.slots.remove(s); // nothing runs
            }
            return; // still starting: startAndProbe sees the state and stops it
        }
        publish(m);
        stopping.add(r);
        executor.execute(() -> {
            try {
                if (wasReady) {
                    drain(m.name, r);
                }
                runtime.stop(r);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warnf("could not stop replica %s: %s", r.name(), e.getMessage());
            } finally {
                stopping.remove(r);
                synchronized (this) {
                    m.slots.remove(s);
                }
            }
        });
    }

    private void drain(String model, ReplicaRuntime.Replica r) throws InterruptedException {
        long deadline = System.nanoTime() + timeouts.drain().toNanos();
        int left;
        while ((left = router.inFlight(model, r.id())) > 0 && !closing) {
            if (System.nanoTime() >= deadline) {
                LOG.warnf("replica %s of model '%s' still had %d call(s) in flight after the %d s drain timeout; "
                        + "stopping it anyway", r.name(), model, left, timeouts.drain().toSeconds());
                return;
            }
            TimeUnit.MILLISECONDS.sleep(20);
        }
    }

    private void stopQuietly(ReplicaRuntime.Replica r) {
        try {
            runtime.stop(r);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warnf("could not stop replica %s: %s", r.name(), e.getMessage());
        }
    }

    /** Hands the router the ready replicas. Lock held. */
    private void publish(Model m) {
        List<Endpoint> ready = new ArrayList<>();
        for (Slot s : m.slots) {
            if (s.state == State.READY && s.replica != null) {
                ready.add(Endpoint.of(s.replica.id(), s.replica.base(), s.revision.number()));
            }
        }
        if (models.get(m.name) == m) {
            router.setEndpoints(m.name, ready);
        }
    }

    private static String newName(String model) {
        byte[] b = new byte[3];
        RANDOM.nextBytes(b);
        return model + "-" + HexFormat.of().formatHex(b);
    }
}
