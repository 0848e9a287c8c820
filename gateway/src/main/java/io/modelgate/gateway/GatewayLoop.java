package io.modelgate.gateway;

import io.modelgate.gateway.deploy.Deployment;
import io.modelgate.gateway.deploy.DeploymentListener;
import io.modelgate.gateway.deploy.DeploymentSpec;
import io.modelgate.gateway.deploy.DeploymentStore;
import io.modelgate.gateway.deploy.Reconciler;
import io.modelgate.gateway.deploy.ReplicaRuntime;
import io.modelgate.gateway.deploy.ReplicaStatus;
import io.modelgate.gateway.metrics.GatewayMetrics;
import io.modelgate.gateway.metrics.ResourceMetrics;
import io.modelgate.gateway.metrics.RunningReplica;
import io.modelgate.gateway.route.Router;
import io.modelgate.gateway.scale.Autoscaler;
import io.modelgate.gateway.scale.ScalingSpec;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Puts the features together: the router feeds the autoscaler, the autoscaler's counts drive the reconciler, the
 * reconciler's ready replicas feed the router. Ticks every {@code modelgate.tick} (2 s); a cold start or a change
 * through the API acts at once. With {@code modelgate.reconciler.enabled=false} nothing is ever started (the API
 * tests run so).
 */
@Singleton
public class GatewayLoop implements DeploymentListener, ReplicaStatus {
    private static final Logger LOG = Logger.getLogger(GatewayLoop.class);

    private final DeploymentStore store;
    private final Clock clock;
    private final GatewayMetrics metrics;
    private final boolean enabled;
    private final Duration tick;
    private final Router router;
    private final Autoscaler autoscaler;
    private final ExecutorService workers = Executors.newCachedThreadPool(daemon("modelgate-replica"));
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("modelgate-tick"));
    private final Set<String> watched = new HashSet<>();
    private volatile Reconciler reconciler;

    public GatewayLoop(DeploymentStore store, Clock clock, GatewayMetrics metrics,
                       @ConfigProperty(name = "modelgate.reconciler.enabled", defaultValue = "true") boolean enabled,
                       @ConfigProperty(name = "modelgate.tick", defaultValue = "2s") Duration tick) {
        this.store = store;
        this.clock = clock;
        this.metrics = metrics;
        this.enabled = enabled;
        this.tick = tick;
        this.router = new Router(clock, Router.Ejection.DEFAULT, this::coldStart, metrics);
        this.autoscaler = new Autoscaler(router::samples, model -> reconciler == null ? 0 : reconciler.ready(model));
    }

    @Produces
    @Singleton
    Router router() {
        return router;
    }

    void start(@Observes StartupEvent started, ReplicaRuntimeFactory runtimes, ResourceMetrics resources) {
        if (!enabled) {
            LOG.info("modelgate.reconciler.enabled=false: deployments are stored but no replica is started");
            return;
        }
        ReplicaRuntime runtime = runtimes.create();
        Reconciler r = new Reconciler(runtime, router, workers, clock, Reconciler.Timeouts.DEFAULT);
        try {
            r.recover(store.list());
        } catch (Exception e) {
            // the gateway still serves; leftover replicas stay until the next start and are named in the log
            LOG.warnf(e, "could not re-adopt the replicas of an earlier gateway process: %s", e.getMessage());
        }
        reconciler = r;
        resources.watch(() -> r.running().entrySet().stream().flatMap(e -> e.getValue().stream()
                .map(replica -> new RunningReplica(e.getKey(), replica.name(), replica.id()))).toList());
        ticker.scheduleWithFixedDelay(this::tick, 0, tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    void stop(@Observes ShutdownEvent stopping) {
        ticker.shutdownNow();
        Reconciler r = reconciler;
        if (r != null) {
            // a clean stop leaves nothing running; only a killed gateway leaves replicas, for the next one to adopt
            r.stopAll();
        }
        workers.shutdownNow();
    }

    @Override
    public void deploymentsChanged() {
        if (reconciler != null) {
            ticker.execute(this::tick);
        }
    }

    @Override
    public Optional<Reconciler.Status> of(String model) {
        Reconciler r = reconciler;
        return r == null ? Optional.empty() : r.status(model);
    }

    private void tick() {
        Reconciler r = reconciler;
        if (r == null) {
            return;
        }
        try {
            List<Deployment> deployments = store.list();
            Map<String, ScalingSpec> specs = new HashMap<>();
            List<DeploymentSpec> all = deployments.stream().map(Deployment::spec).toList();
            all.forEach(s -> specs.put(s.name(), s.scaling()));
            r.removeExited();
            Map<String, Integer> desired = autoscaler.tick(specs, clock.instant());
            r.reconcile(deployments, desired);
            for (String model : specs.keySet()) {
                if (watched.add(model)) {
                    metrics.watch(model, autoscaler::desired, r::ready,
                            m -> router.stats(m).map(Router.PoolStats::inFlight).orElse(0),
                            m -> router.stats(m).map(Router.PoolStats::waiting).orElse(0));
                }
            }
            for (String model : Set.copyOf(watched)) {
                if (!specs.containsKey(model)) {
                    watched.remove(model);
                    metrics.forget(model);
                }
            }
        } catch (Exception e) {
            LOG.warnf(e, "reconciling deployments failed: %s", e.getMessage());
        }
    }

    /** A request arrived for a model with no ready replica: ask for one now rather than at the next tick. */
    private void coldStart(String model) {
        Reconciler r = reconciler;
        if (r == null) {
            return;
        }
        long arrived = System.nanoTime();
        // on the ticker thread, so that a tick deciding on older samples cannot undo it between decide and act
        ticker.execute(() -> {
            try {
                store.get(model).ifPresent(d -> {
                    if (r.ready(model) == 0) {
                        metrics.coldStartBegan(model, arrived);
                        r.scale(d, autoscaler.coldStart(model, d.spec().scaling(), clock.instant()));
                    }
                });
            } catch (Exception e) {
                LOG.warnf(e, "cold start of model '%s' failed: %s", model, e.getMessage());
            }
        });
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return runnable -> {
            Thread t = new Thread(runnable, name);
            t.setDaemon(true);
            return t;
        };
    }
}
