package io.modelgate.gateway.metrics;

import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import io.modelgate.runtime.cgroup.CgroupException;
import io.modelgate.runtime.cgroup.CgroupUsage;
import io.modelgate.runtime.gpu.FakeNvml;
import io.modelgate.runtime.gpu.Nvml;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The per-replica and per-GPU series as Prometheus scrapes them, with the cgroup readings given by the test (the real
 * reader is tested on real containers in runtime-native's UsageReaderIT and in MetricsIT) and NVML played by the
 * stand-in library built from runtime-native's fake-nvml.c (no GPU here; see {@link FakeNvml}).
 */
class ResourceMetricsTest {
    private static final long MIB = 1024 * 1024;
    private static final RunningReplica A = new RunningReplica("iris", "iris-aaaaaa", "c-a");
    private static final RunningReplica B = new RunningReplica("iris", "iris-bbbbbb", "c-b");

    @TempDir
    Path tmp;
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, CgroupUsage> cgroups = new ConcurrentHashMap<>();
    private final SortedMap<Integer, String> holders = new TreeMap<>();
    private volatile List<RunningReplica> running = List.of();
    private Nvml nvml;

    @AfterEach
    void close() {
        if (nvml != null) {
            nvml.close();
        }
    }

    private ResourceMetrics metrics(Optional<Nvml> gpus) {
        ResourceMetrics m = new ResourceMetrics(registry, () -> id -> {
            if (id.equals("broken")) {
                throw new CgroupException("/sys/fs/cgroup/memory/modelgate/broken/memory.usage_in_bytes: expected a number");
            }
            return Optional.ofNullable(cgroups.get(id));
        }, () -> gpus, () -> holders, Duration.ofSeconds(2));
        m.watch(() -> running);
        return m;
    }

    @Test
    void exports_each_replicas_cpu_seconds_memory_and_limit_tagged_by_model_and_replica() {
        ResourceMetrics metrics = metrics(Optional.empty());
        running = List.of(A, B);
        cgroups.put("c-a", new CgroupUsage(2_500_000_000L, 100 * MIB, OptionalLong.of(512 * MIB)));
        cgroups.put("c-b", new CgroupUsage(1_000_000_000L, 50 * MIB, OptionalLong.empty()));

        metrics.sample();

        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("modelgate_replica_cpu_seconds_total{model=\"iris\",replica=\"iris-aaaaaa\",} 2.5")
                .contains("modelgate_replica_memory_bytes{model=\"iris\",replica=\"iris-aaaaaa\",} 1.048576E8")
                .contains("modelgate_replica_memory_limit_bytes{model=\"iris\",replica=\"iris-aaaaaa\",} 5.36870912E8")
                .contains("modelgate_replica_cpu_seconds_total{model=\"iris\",replica=\"iris-bbbbbb\",} 1.0")
                .doesNotContain("modelgate_replica_memory_limit_bytes{model=\"iris\",replica=\"iris-bbbbbb\"");
        assertThat(scrape).doesNotContain("modelgate_gpu_");

        cgroups.put("c-a", new CgroupUsage(4_000_000_000L, 200 * MIB, OptionalLong.of(512 * MIB)));
        metrics.sample();
        assertThat(registry.scrape())
                .contains("modelgate_replica_cpu_seconds_total{model=\"iris\",replica=\"iris-aaaaaa\",} 4.0")
                .contains("modelgate_replica_memory_bytes{model=\"iris\",replica=\"iris-aaaaaa\",} 2.097152E8");
    }

    @Test
    void drops_a_replicas_series_when_it_stops_running_or_its_cgroup_is_gone() {
        ResourceMetrics metrics = metrics(Optional.empty());
        running = List.of(A, B);
        cgroups.put("c-a", new CgroupUsage(1, MIB, OptionalLong.empty()));
        cgroups.put("c-b", new CgroupUsage(1, MIB, OptionalLong.empty()));
        metrics.sample();

        running = List.of(B);
        metrics.sample();
        assertThat(registry.scrape()).doesNotContain("iris-aaaaaa").contains("iris-bbbbbb");

        cgroups.remove("c-b"); // removed while the reconciler still lists it
        metrics.sample();
        assertThat(registry.scrape()).doesNotContain("modelgate_replica_");
    }

    @Test
    void goes_on_with_the_other_replicas_when_one_cgroup_cannot_be_read() {
        ResourceMetrics metrics = metrics(Optional.empty());
        running = List.of(new RunningReplica("iris", "iris-broken", "broken"), A);
        cgroups.put("c-a", new CgroupUsage(1, MIB, OptionalLong.empty()));

        metrics.sample();

        assertThat(registry.scrape()).contains("replica=\"iris-aaaaaa\"").doesNotContain("iris-broken");
    }

    @Test
    void exports_each_gpus_utilisation_and_memory_tagged_with_the_replica_holding_it() throws Exception {
        nvml = Nvml.open(FakeNvml.build(tmp).toString());
        ResourceMetrics metrics = metrics(Optional.of(nvml));
        running = List.of(A);
        cgroups.put("c-a", new CgroupUsage(1, MIB, OptionalLong.empty()));
        holders.put(0, "c-a");

        metrics.sample();

        String uuid0 = FakeNvml.GPU0_UUID;
        String uuid3 = FakeNvml.GPU3_UUID;
        String scrape = registry.scrape();
        assertThat(scrape)
                .contains("modelgate_gpu_utilization_ratio{gpu=\"0\",model=\"iris\",replica=\"iris-aaaaaa\",uuid=\"" + uuid0 + "\",} 0.37")
                .contains("modelgate_gpu_memory_used_bytes{gpu=\"0\",model=\"iris\",replica=\"iris-aaaaaa\",uuid=\"" + uuid0 + "\",} 1.073741824E9")
                .contains("modelgate_gpu_memory_capacity_bytes{gpu=\"0\",model=\"iris\",replica=\"iris-aaaaaa\",uuid=\"" + uuid0 + "\",} 8.589934592E10")
                // GPU 3 is free, and reports no utilisation (as a MIG-partitioned GPU does)
                .contains("modelgate_gpu_memory_used_bytes{gpu=\"3\",model=\"\",replica=\"\",uuid=\"" + uuid3 + "\",} 0.0")
                .doesNotContain("modelgate_gpu_utilization_ratio{gpu=\"3\"");

        // the replica goes and GPU 0 is free again: its series lose the replica, none is left tagged with it
        running = List.of();
        holders.clear();
        metrics.sample();
        assertThat(registry.scrape()).doesNotContain("iris-aaaaaa")
                .contains("modelgate_gpu_utilization_ratio{gpu=\"0\",model=\"\",replica=\"\",uuid=\"" + uuid0 + "\",} 0.37");
    }

    @Test
    void drops_the_gpu_series_while_nvml_fails_and_brings_them_back_when_it_answers() throws Exception {
        Path lost = tmp.resolve("gpu-lost");
        nvml = Nvml.open(FakeNvml.build(tmp.resolve("lib"), "LOST_WHEN=\"" + lost + "\"").toString());
        ResourceMetrics metrics = metrics(Optional.of(nvml));
        metrics.sample();
        assertThat(registry.scrape()).contains("modelgate_gpu_memory_used_bytes{gpu=\"0\"");

        java.nio.file.Files.createFile(lost); // nvmlDeviceGetCount_v2 now answers GPU_IS_LOST
        metrics.sample();
        assertThat(registry.scrape()).doesNotContain("modelgate_gpu_");

        java.nio.file.Files.delete(lost);
        metrics.sample();
        assertThat(registry.scrape()).contains("modelgate_gpu_memory_used_bytes{gpu=\"0\"");
    }
}
