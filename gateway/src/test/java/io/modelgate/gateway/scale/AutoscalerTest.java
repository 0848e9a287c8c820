package io.modelgate.gateway.scale;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AutoscalerTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void a_cold_start_keeps_one_replica_through_the_grace_period_even_before_load_is_sampled() {
        List<LoadSample> samples = new ArrayList<>();
        Autoscaler a = new Autoscaler(model -> samples, model -> 0);
        ScalingSpec spec = ScalingSpec.of(0, 3, 10);
        assertThat(a.tick(Map.of("m", spec), T0)).containsEntry("m", 0);
        assertThat(a.tick(Map.of("m", spec), T0.plusSeconds(100))).containsEntry("m", 0);

        assertThat(a.coldStart("m", spec, T0.plusSeconds(101))).isEqualTo(1);
        assertThat(a.tick(Map.of("m", spec), T0.plusSeconds(102))).containsEntry("m", 1);
        assertThat(a.tick(Map.of("m", spec), T0.plusSeconds(130))).containsEntry("m", 1);
        assertThat(a.tick(Map.of("m", spec), T0.plusSeconds(132))).containsEntry("m", 0);
    }

    @Test
    void forgets_models_that_are_no_longer_deployed() {
        Autoscaler a = new Autoscaler(model -> List.of(LoadSample.at(T0, 20)), model -> 1);
        assertThat(a.tick(Map.of("m", ScalingSpec.of(0, 5, 10)), T0)).containsEntry("m", 3);
        assertThat(a.desired("m")).isEqualTo(3);
        assertThat(a.tick(Map.of(), T0.plusSeconds(2))).isEmpty();
        assertThat(a.desired("m")).isZero();
    }
}
