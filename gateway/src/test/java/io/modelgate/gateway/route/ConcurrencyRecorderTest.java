package io.modelgate.gateway.route;

import io.modelgate.gateway.scale.LoadSample;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ConcurrencyRecorderTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    @Test
    void averages_the_level_over_each_second_weighted_by_time() {
        ConcurrencyRecorder r = new ConcurrencyRecorder(T0, 60);
        r.set(T0.plusMillis(500), 2);      // 0 for half a second, then 2
        r.set(T0.plusMillis(1250), 4);     // 2 for a quarter, then 4
        List<LoadSample> s = r.samples(T0.plusMillis(3000));
        assertThat(s).extracting(LoadSample::concurrency).containsExactly(1.0, 3.5, 4.0);
        assertThat(s).extracting(LoadSample::at).containsExactly(T0.plusSeconds(1), T0.plusSeconds(2), T0.plusSeconds(3));
    }

    @Test
    void keeps_only_the_retained_seconds_even_after_a_long_quiet_spell() {
        ConcurrencyRecorder r = new ConcurrencyRecorder(T0, 5);
        r.set(T0, 3);
        List<LoadSample> s = r.samples(T0.plusSeconds(3600));
        assertThat(s).hasSize(5).allSatisfy(x -> assertThat(x.concurrency()).isEqualTo(3.0));
        assertThat(s.get(4).at()).isEqualTo(T0.plusSeconds(3600));
    }
}
