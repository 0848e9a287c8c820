package io.modelgate.gateway.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shape of dashboards/modelgate.json: what Grafana needs to import it anywhere (a data source variable rather
 * than a fixed data source, a model variable, a current schema) and the panels it promises. That every metric it
 * queries is really exported is checked against the running gateway's /q/metrics in {@link MetricsIT}.
 */
class DashboardTest {

    @Test
    void imports_anywhere_through_a_prometheus_datasource_variable_and_a_model_variable() throws Exception {
        JsonNode dashboard = Dashboard.read();

        assertThat(dashboard.path("schemaVersion").asInt()).as("Grafana 11/12 dashboards").isGreaterThanOrEqualTo(39);
        assertThat(dashboard.path("uid").asText()).isEqualTo("modelgate");
        JsonNode variables = dashboard.path("templating").path("list");
        assertThat(variables).anySatisfy(v -> {
            assertThat(v.path("name").asText()).isEqualTo("datasource");
            assertThat(v.path("type").asText()).isEqualTo("datasource");
            assertThat(v.path("query").asText()).isEqualTo("prometheus");
        });
        assertThat(variables).anySatisfy(v -> {
            assertThat(v.path("name").asText()).isEqualTo("model");
            assertThat(v.path("definition").asText()).isEqualTo("label_values(modelgate_requests_total, model)");
            assertThat(v.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
            assertThat(v.path("multi").asBoolean()).isTrue();
        });
    }

    @Test
    void queries_every_panel_through_the_datasource_variable() throws Exception {
        List<JsonNode> graphs = Dashboard.panels(Dashboard.read()).stream()
                .filter(p -> !p.path("type").asText().equals("row")).toList();

        assertThat(graphs).isNotEmpty().allSatisfy(p -> {
            assertThat(p.path("datasource").path("uid").asText()).as(p.path("title").asText()).isEqualTo("${datasource}");
            assertThat(p.path("targets")).as(p.path("title").asText()).isNotEmpty()
                    .allSatisfy(t -> assertThat(t.path("expr").asText()).isNotBlank());
        });
        assertThat(graphs.stream().map(p -> p.path("id").asInt()).distinct().count()).isEqualTo(graphs.size());
    }

    @Test
    void has_a_panel_for_each_thing_the_gateway_measures() throws Exception {
        JsonNode dashboard = Dashboard.read();

        assertThat(Dashboard.panels(dashboard)).extracting(p -> p.path("title").asText()).contains(
                "Request rate by outcome", "Latency p50 / p90 / p99", "In flight and queue depth",
                "Queue wait p50 / p99 and mean", "Replicas desired vs ready", "Cold starts", "Cold start duration",
                "CPU per replica", "Memory per replica", "GPU utilisation", "GPU memory");
        assertThat(Dashboard.metricNames(dashboard)).contains("modelgate_requests_total",
                "modelgate_request_duration_seconds_bucket", "modelgate_requests_inflight", "modelgate_requests_waiting",
                "modelgate_queue_wait_seconds_bucket", "modelgate_replicas_desired", "modelgate_replicas_ready",
                "modelgate_cold_starts_total", "modelgate_cold_start_duration_seconds_bucket",
                "modelgate_replica_cpu_seconds_total", "modelgate_replica_memory_bytes",
                "modelgate_replica_memory_limit_bytes", "modelgate_gpu_utilization_ratio",
                "modelgate_gpu_memory_used_bytes", "modelgate_gpu_memory_capacity_bytes");
    }
}
