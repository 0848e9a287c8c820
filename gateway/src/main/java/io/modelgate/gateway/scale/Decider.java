package io.modelgate.gateway.scale;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The KPA decision as a pure function of (spec, load samples, ready replicas, previous state, now), after Knative's
 * <a href="https://github.com/knative/serving/blob/main/pkg/autoscaler/scaling/autoscaler.go">autoscaler.go</a>:
 * <ul>
 *   <li>desired = ceil(average concurrency / target) over the stable window (and, separately, the panic window);</li>
 *   <li>panic starts when desired-panic / ready ≥ 2 and lasts until the condition has not held for a stable window;
 *       while panicking the count follows the panic window and never goes down;</li>
 *   <li>outside panic a tick at most halves the ready count;</li>
 *   <li>the result is clamped to [minReplicas, maxReplicas]; it goes to 0 only after scaleToZeroGrace without load,
 *       and load at zero replicas always asks for at least 1.</li>
 * </ul>
 */
public final class Decider {
    private Decider() {
    }

    public static Decision decide(ScalingSpec spec, List<LoadSample> samples, int ready, ScalerState previous,
                                  Instant now) {
        double stable = average(samples, now, spec.stableWindow());
        double panic = average(samples, now, spec.panicWindow());
        double target = spec.targetPerReplica();
        int desiredStable = (int) Math.min(Integer.MAX_VALUE, Math.ceil(stable / target));
        int desiredPanic = (int) Math.min(Integer.MAX_VALUE, Math.ceil(panic / target));

        // Knative divides by at least one pod so that the first burst at zero or one replica can panic.
        int readyForRatio = Math.max(1, ready);
        boolean overThreshold = desiredPanic / (double) readyForRatio >= ScalingSpec.PANIC_THRESHOLD;

        Instant panicSince = previous.panicSince();
        if (overThreshold) {
            panicSince = now;
        } else if (panicSince != null && !now.isBefore(panicSince.plus(spec.stableWindow()))) {
            panicSince = null;
        }

        int desired;
        int maxPanicPods = 0;
        if (panicSince != null) {
            int floor = previous.panicking() ? Math.max(previous.maxPanicPods(), previous.desired()) : Math.max(ready, previous.desired());
            desired = Math.max(desiredPanic, floor);
            maxPanicPods = desired;
        } else {
            desired = desiredStable;
            int halfOfReady = ready / 2;
            if (desired < halfOfReady) {
                desired = halfOfReady;
            }
        }

        boolean loadNow = panic > 0;
        Instant lastActive = latestLoad(samples, now, previous.lastActive());

        if (loadNow && desired < 1) {
            desired = 1;
        }
        desired = Math.max(spec.minReplicas(), Math.min(spec.maxReplicas(), desired));
        if (desired == 0 && lastActive != null && now.isBefore(lastActive.plus(spec.scaleToZeroGrace()))
                && (previous.desired() > 0 || ready > 0)) {
            desired = 1; // within the grace period: keep one replica warm
        }
        if (panicSince != null) {
            maxPanicPods = Math.max(maxPanicPods, desired);
        }
        ScalerState next = new ScalerState(panicSince, maxPanicPods, lastActive, desired);
        return new Decision(desired, panicSince != null, stable, panic, next);
    }

    /** Mean of the samples whose time lies in (now - window, now]; no samples means no load. */
    static double average(List<LoadSample> samples, Instant now, Duration window) {
        Instant from = now.minus(window);
        double sum = 0;
        int n = 0;
        for (LoadSample s : samples) {
            if (s.at().isAfter(from) && !s.at().isAfter(now)) {
                sum += s.concurrency();
                n++;
            }
        }
        return n == 0 ? 0 : sum / n;
    }

    private static Instant latestLoad(List<LoadSample> samples, Instant now, Instant previous) {
        Instant latest = previous;
        for (LoadSample s : samples) {
            if (s.concurrency() > 0 && !s.at().isAfter(now) && (latest == null || s.at().isAfter(latest))) {
                latest = s.at();
            }
        }
        return latest;
    }
}
