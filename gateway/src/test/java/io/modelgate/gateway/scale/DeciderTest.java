package io.modelgate.gateway.scale;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Table-driven, after Knative's autoscaler_test.go: each case is a spec and a sequence of ticks on a fake clock. A step
 * {@code at(s, load, ready)} records one sample per second since the previous step at concurrency {@code load}, then
 * decides at second {@code s} with {@code ready} replicas ready, and expects a count and whether it is panicking.
 */
class DeciderTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    record Step(int second, double load, int ready, int desired, boolean panic) {
    }

    static Step at(int second, double load, int ready, int desired) {
        return new Step(second, load, ready, desired, false);
    }

    static Step panicAt(int second, double load, int ready, int desired) {
        return new Step(second, load, ready, desired, true);
    }

    static Stream<Arguments> cases() {
        ScalingSpec cc10 = ScalingSpec.of(0, 10, 10); // target 7 per replica
        return Stream.of(
                Arguments.of("steady load is spread at 70% of containerConcurrency", cc10, 2, List.of(
                        at(2, 10, 2, 2), at(30, 10, 2, 2), at(60, 10, 2, 2))),
                Arguments.of("unset containerConcurrency targets 100 x 0.7", ScalingSpec.of(0, 10, 0), 1, List.of(
                        at(10, 140, 2, 2), at(20, 141, 2, 3))),
                Arguments.of("an explicit target wins over containerConcurrency", cc10.withTarget(2), 3, List.of(
                        at(10, 6, 3, 3), at(20, 6.5, 3, 4))),
                Arguments.of("clamped to maxReplicas", ScalingSpec.of(0, 4, 10), 4, List.of(
                        panicAt(10, 1000, 4, 4))),
                Arguments.of("clamped to minReplicas without load", ScalingSpec.of(2, 4, 10), 2, List.of(
                        at(10, 0, 2, 2), at(200, 0, 2, 2))),
                Arguments.of("keeps one through the grace period, then scales to zero",
                        cc10.withStableWindow(Duration.ofSeconds(10)), 1, List.of(
                        at(10, 1, 1, 1), at(20, 0, 1, 1), at(39, 0, 1, 1), at(41, 0, 1, 0))),
                Arguments.of("the stable window must be empty too before zero", cc10, 1, List.of(
                        at(10, 1, 1, 1), at(41, 0, 1, 1), at(69, 0, 1, 1), at(71, 0, 1, 0))),
                Arguments.of("a request arriving at zero gives one replica", cc10, 0, List.of(
                        at(100, 0, 0, 0), at(101, 1, 0, 1))),
                Arguments.of("scale-down at most halves per tick", ScalingSpec.of(0, 10, 10), 8, List.of(
                        at(60, 56, 8, 8), at(62, 0, 8, 8), // stable window still holds the load
                        at(130, 0, 8, 4), at(132, 0, 4, 2), at(134, 0, 2, 1), at(136, 0, 1, 0))),
                Arguments.of("a burst panics, holds for a stable window after it ends, never scales down meanwhile",
                        cc10, 1, List.of(
                        at(60, 5, 1, 1),
                        panicAt(66, 35, 1, 5),   // panic window 35/7 = 5 pods, 5/1 >= 2
                        panicAt(68, 70, 5, 7),   // 46.7 / 7 = 7 pods, 7/5 < 2: still panicking, follows it up
                        panicAt(70, 0, 7, 7),    // load gone, but no scale-down while panicking
                        panicAt(125, 0, 7, 7),   // 59 s after the panic condition last held (at 66 s)
                        at(126, 0, 7, 3))),      // panic over: halves at most
                Arguments.of("a rise under twice the ready count does not panic", cc10, 2, List.of(
                        at(60, 14, 2, 2), at(66, 20, 2, 3))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decides_as_the_table_says(String name, ScalingSpec spec, int initial, List<Step> steps) {
        List<LoadSample> samples = new ArrayList<>();
        ScalerState state = ScalerState.initial(T0, initial);
        int last = 0;
        for (Step step : steps) {
            for (int s = last + 1; s <= step.second(); s++) {
                samples.add(LoadSample.at(T0.plusSeconds(s), step.load()));
            }
            last = step.second();
            Instant now = T0.plusSeconds(step.second());
            Decision d = Decider.decide(spec, samples, step.ready(), state, now);
            assertThat(d.desired()).as("%s: desired at %d s (stable %.2f, panic %.2f)", name, step.second(),
                    d.stableConcurrency(), d.panicConcurrency()).isEqualTo(step.desired());
            assertThat(d.panicking()).as("%s: panicking at %d s", name, step.second()).isEqualTo(step.panic());
            state = d.next();
        }
    }

    @Test
    void averages_only_the_samples_inside_the_window() {
        List<LoadSample> samples = List.of(LoadSample.at(T0.plusSeconds(1), 100), LoadSample.at(T0.plusSeconds(9), 4),
                LoadSample.at(T0.plusSeconds(10), 2), LoadSample.at(T0.plusSeconds(11), 50));
        assertThat(Decider.average(samples, T0.plusSeconds(10), Duration.ofSeconds(6))).isEqualTo(3.0);
        assertThat(Decider.average(List.of(), T0, Duration.ofSeconds(6))).isZero();
    }

    @Test
    void target_is_seventy_percent_of_container_concurrency() {
        assertThat(ScalingSpec.of(0, 1, 10).targetPerReplica()).isEqualTo(7.0);
        assertThat(ScalingSpec.of(0, 1, 0).targetPerReplica()).isEqualTo(70.0);
        assertThat(ScalingSpec.of(0, 1, 10).withTarget(3).targetPerReplica()).isEqualTo(3.0);
    }

    @Test
    void refuses_inverted_bounds_naming_the_fields() {
        assertThatThrownBy(() -> ScalingSpec.of(3, 2, 10)).hasMessageContaining("maxReplicas")
                .hasMessageContaining("minReplicas (3)");
        assertThatThrownBy(() -> ScalingSpec.of(-1, 2, 10)).hasMessageContaining("minReplicas");
    }
}
