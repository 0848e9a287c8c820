package io.modelgate.gateway.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.modelgate.runtime.cgroup.CgroupException;
import io.modelgate.runtime.cgroup.CgroupUsage;
import io.modelgate.runtime.cgroup.Cgroups;
import io.modelgate.runtime.cgroup.UsageReader;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.gpu.GpuHolders;
import io.modelgate.runtime.gpu.GpuSample;
import io.modelgate.runtime.gpu.Nvml;
import io.modelgate.runtime.gpu.NvmlException;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What the replicas use, sampled every {@code modelgate.metrics.resources.interval} (2 s) and scraped at /q/metrics:
 * per replica, from its container's cgroup, {@code modelgate.replica.cpu{model,replica}} (CPU seconds, a counter),
 * {@code modelgate.replica.memory{model,replica}} and {@code modelgate.replica.memory.limit{model,replica}} (bytes;
 * no limit series for a replica without a limit); per GPU, through NVML where the driver's library loads,
 * {@code modelgate.gpu.utilization{gpu,uuid,model,replica}} (0–1), {@code modelgate.gpu.memory.used} and
 * {@code modelgate.gpu.memory.capacity} (bytes), with {@code model} and {@code replica} naming the replica that holds
 * the GPU, empty while it is free. A replica's series go when it does, and a GPU's when its holder changes, so that
 * no series outlives what it describes.
 *
 * <p>Without an NVIDIA driver (no libnvidia-ml.so.1) there are no GPU series and the gateway runs as before; the
 * reason is logged once.
 */
@Singleton
public class ResourceMetrics {
    private static final Logger LOG = Logger.getLogger(ResourceMetrics.class);

    private final MeterRegistry registry;
    private final Supplier<Function<String, Optional<CgroupUsage>>> usageSource;
    private final Supplier<Optional<Nvml>> nvmlSource;
    private final Supplier<SortedMap<Integer, String>> gpuHolders;
    private final Duration interval;
    private final Map<String, ReplicaMeters> replicas = new HashMap<>();
    private final Map<Integer, GpuMeters> gpus = new HashMap<>();
    private final Set<String> unreadable = new HashSet<>();
    private volatile Supplier<List<RunningReplica>> running = List::of;
    private Function<String, Optional<CgroupUsage>> usage;
    private Optional<Nvml> nvml;
    private boolean nvmlFailing;
    private ScheduledExecutorService sampler;

    @Inject
    public ResourceMetrics(MeterRegistry registry,
                           @ConfigProperty(name = "modelgate.home") Path home,
                           @ConfigProperty(name = "modelgate.metrics.resources.interval", defaultValue = "2s") Duration interval,
                           @ConfigProperty(name = "modelgate.metrics.nvml-library", defaultValue = Nvml.LIBRARY) String nvmlLibrary) {
        this(registry,
                // the runtime's own cgroup parent (Containers.Runtime.defaults), detected only once a replica runs
                () -> UsageReader.of(Cgroups.detect(Containers.Runtime.defaults().cgroupParent()))::read,
                () -> openNvml(nvmlLibrary),
                () -> GpuHolders.in(Containers.Runtime.defaults().gpuConfig().apply(home).stateDir()).now(),
                interval);
    }

    ResourceMetrics(MeterRegistry registry, Supplier<Function<String, Optional<CgroupUsage>>> usageSource,
                    Supplier<Optional<Nvml>> nvmlSource, Supplier<SortedMap<Integer, String>> gpuHolders,
                    Duration interval) {
        this.registry = registry;
        this.usageSource = usageSource;
        this.nvmlSource = nvmlSource;
        this.gpuHolders = gpuHolders;
        this.interval = interval;
    }

    private static Optional<Nvml> openNvml(String library) {
        try {
            Nvml nvml = Nvml.open(library);
            LOG.infof("GPU metrics through NVML (%s)", library);
            return Optional.of(nvml);
        } catch (NvmlException e) {
            LOG.infof("no GPU metrics: %s", e.getMessage());
            return Optional.empty();
        }
    }

    /** Where the running replicas come from (the reconciler, once it runs); none until this is called. */
    public void watch(Supplier<List<RunningReplica>> replicas) {
        this.running = replicas;
    }

    void start(@Observes StartupEvent started) {
        sampler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread t = new Thread(runnable, "modelgate-resource-metrics");
            t.setDaemon(true);
            return t;
        });
        sampler.scheduleWithFixedDelay(this::sampleQuietly, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    synchronized void stop(@Observes ShutdownEvent stopping) {
        if (sampler != null) {
            sampler.shutdownNow();
        }
        if (nvml != null) {
            nvml.ifPresent(Nvml::close);
        }
    }

    private void sampleQuietly() {
        try {
            sample();
        } catch (RuntimeException e) {
            LOG.warnf(e, "sampling replica and GPU usage failed: %s", e.getMessage());
        }
    }

    /** Reads every running replica's cgroup and every GPU once, and brings the series in line with what runs. */
    public synchronized void sample() {
        List<RunningReplica> now = running.get();
        Map<String, RunningReplica> byContainer = new HashMap<>();
        now.forEach(r -> byContainer.put(r.containerId(), r));
        sampleReplicas(byContainer);
        sampleGpus(byContainer);
    }

    private void sampleReplicas(Map<String, RunningReplica> byContainer) {
        for (String gone : new ArrayList<>(replicas.keySet())) {
            if (!byContainer.containsKey(gone)) {
                replicas.remove(gone).remove();
            }
        }
        unreadable.retainAll(byContainer.keySet());
        if (byContainer.isEmpty()) {
            return;
        }
        if (usage == null) {
            usage = usageSource.get();
        }
        for (RunningReplica r : byContainer.values()) {
            Optional<CgroupUsage> read;
            try {
                read = usage.apply(r.containerId());
            } catch (CgroupException e) {
                if (unreadable.add(r.containerId())) {
                    LOG.warnf("cannot read the usage of replica %s of model '%s': %s", r.name(), r.model(), e.getMessage());
                }
                read = Optional.empty();
            }
            if (read.isEmpty()) {
                // its cgroup is gone (the container is being removed): no series rather than a stale one
                ReplicaMeters stale = replicas.remove(r.containerId());
                if (stale != null) {
                    stale.remove();
                }
                continue;
            }
            replicas.computeIfAbsent(r.containerId(), id -> new ReplicaMeters(r)).update(read.get());
        }
    }

    private void sampleGpus(Map<String, RunningReplica> byContainer) {
        if (nvml == null) {
            nvml = nvmlSource.get();
        }
        if (nvml.isEmpty()) {
            return;
        }
        List<GpuSample> samples;
        try {
            samples = nvml.get().sample();
            nvmlFailing = false;
        } catch (NvmlException e) {
            if (!nvmlFailing) {
                nvmlFailing = true;
                LOG.warnf("cannot read the GPUs through NVML, so there are no GPU series until it answers again: %s",
                        e.getMessage());
            }
            samples = List.of(); // no readings: drop the series rather than leave stale values
        }
        SortedMap<Integer, String> holders = gpuHolders.get();
        Set<Integer> seen = new HashSet<>();
        for (GpuSample s : samples) {
            seen.add(s.index());
            Optional<RunningReplica> holder = Optional.ofNullable(holders.get(s.index())).map(byContainer::get);
            GpuMeters meters = gpus.get(s.index());
            if (meters != null && !meters.describes(s, holder)) {
                meters.remove();
                meters = null;
            }
            if (meters == null) {
                meters = new GpuMeters(s, holder);
                gpus.put(s.index(), meters);
            }
            meters.update(s);
        }
        for (Integer gone : new ArrayList<>(gpus.keySet())) {
            if (!seen.contains(gone)) {
                gpus.remove(gone).remove();
            }
        }
    }

    /** One replica's series and the last values read for them. */
    private final class ReplicaMeters {
        private final Tags tags;
        private final List<Meter> meters = new ArrayList<>();
        private volatile CgroupUsage last;
        private Meter limit;

        ReplicaMeters(RunningReplica r) {
            this.tags = Tags.of("model", r.model(), "replica", r.name());
        }

        void update(CgroupUsage read) {
            last = read;
            if (meters.isEmpty()) {
                meters.add(FunctionCounter.builder("modelgate.replica.cpu", this, m -> m.last.cpuSeconds())
                        .description("CPU time the replica's container used (its cgroup's accounting)")
                        .baseUnit("seconds").tags(tags).register(registry));
                meters.add(Gauge.builder("modelgate.replica.memory", this, m -> m.last.memoryBytes())
                        .description("Memory charged to the replica's container now, page cache included")
                        .baseUnit("bytes").tags(tags).strongReference(true).register(registry));
            }
            if (limit == null && read.memoryLimitBytes().isPresent()) {
                limit = Gauge.builder("modelgate.replica.memory.limit", this,
                                m -> m.last.memoryLimitBytes().orElse(0L))
                        .description("The memory limit of the replica's container (resources.memory)")
                        .baseUnit("bytes").tags(tags).strongReference(true).register(registry);
                meters.add(limit);
            }
        }

        void remove() {
            meters.forEach(registry::remove);
        }
    }

    /** One GPU's series, tagged with the replica holding it when the series were made. */
    private final class GpuMeters {
        private final String uuid;
        private final Optional<RunningReplica> holder;
        private final List<Meter> meters = new ArrayList<>();
        private volatile GpuSample last;

        GpuMeters(GpuSample s, Optional<RunningReplica> holder) {
            this.uuid = s.uuid();
            this.holder = holder;
            this.last = s;
            Tags tags = Tags.of("gpu", Integer.toString(s.index()), "uuid", s.uuid(),
                    "model", holder.map(RunningReplica::model).orElse(""),
                    "replica", holder.map(RunningReplica::name).orElse(""));
            if (s.utilizationPercent().isPresent()) {
                meters.add(Gauge.builder("modelgate.gpu.utilization", this,
                                m -> m.last.utilizationPercent().orElse(0) / 100.0)
                        .description("Share of the last sample period in which a kernel ran on the GPU (NVML)")
                        .baseUnit("ratio").tags(tags).strongReference(true).register(registry));
            }
            meters.add(Gauge.builder("modelgate.gpu.memory.used", this, m -> m.last.memoryUsedBytes())
                    .description("GPU memory allocated (NVML)").baseUnit("bytes").tags(tags).strongReference(true)
                    .register(registry));
            meters.add(Gauge.builder("modelgate.gpu.memory.capacity", this, m -> m.last.memoryTotalBytes())
                    .description("GPU memory installed (NVML)").baseUnit("bytes").tags(tags).strongReference(true)
                    .register(registry));
        }

        boolean describes(GpuSample s, Optional<RunningReplica> now) {
            return uuid.equals(s.uuid()) && holder.equals(now)
                    && s.utilizationPercent().isPresent() == last.utilizationPercent().isPresent();
        }

        void update(GpuSample s) {
            last = s;
        }

        void remove() {
            meters.forEach(registry::remove);
        }
    }
}
