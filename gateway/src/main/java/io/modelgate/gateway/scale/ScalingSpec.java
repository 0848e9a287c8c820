package io.modelgate.gateway.scale;

import java.time.Duration;
import java.util.OptionalDouble;

/**
 * What the autoscaler needs to know about one deployment: replica bounds, the per-replica concurrency and the windows.
 * Defaults follow Knative's KPA: target = containerConcurrency × 0.7 (100 × 0.7 when unlimited), a 60 s stable window,
 * a panic window of one tenth of it (6 s), a panic threshold of 2 and a 30 s grace before scaling to zero.
 */
public record ScalingSpec(int minReplicas, int maxReplicas, int containerConcurrency, OptionalDouble target,
                          Duration stableWindow, Duration panicWindow, Duration scaleToZeroGrace) {
    public static final double TARGET_UTILIZATION = 0.7;
    public static final int UNLIMITED_CONCURRENCY_DEFAULT = 100;
    public static final double PANIC_THRESHOLD = 2.0;
    public static final Duration DEFAULT_STABLE_WINDOW = Duration.ofSeconds(60);
    public static final Duration DEFAULT_SCALE_TO_ZERO_GRACE = Duration.ofSeconds(30);

    public ScalingSpec {
        if (minReplicas < 0) {
            throw new IllegalArgumentException("minReplicas must be 0 or more, got " + minReplicas);
        }
        if (maxReplicas < 1 || maxReplicas < minReplicas) {
            throw new IllegalArgumentException("maxReplicas must be at least 1 and at least minReplicas (" + minReplicas
                    + "), got " + maxReplicas);
        }
        if (containerConcurrency < 0) {
            throw new IllegalArgumentException("containerConcurrency must be 0 (unlimited) or more, got " + containerConcurrency);
        }
        if (target.isPresent() && !(target.getAsDouble() > 0)) {
            throw new IllegalArgumentException("autoscaling.target must be more than 0, got " + target.getAsDouble());
        }
        requirePositive("autoscaling.stableWindow", stableWindow);
        requirePositive("panic window", panicWindow);
        if (scaleToZeroGrace.isNegative()) {
            throw new IllegalArgumentException("autoscaling.scaleToZeroGrace must not be negative, got " + scaleToZeroGrace);
        }
    }

    /** Bounds and concurrency with the default target and windows. */
    public static ScalingSpec of(int minReplicas, int maxReplicas, int containerConcurrency) {
        return new ScalingSpec(minReplicas, maxReplicas, containerConcurrency, OptionalDouble.empty(),
                DEFAULT_STABLE_WINDOW, DEFAULT_STABLE_WINDOW.dividedBy(10), DEFAULT_SCALE_TO_ZERO_GRACE);
    }

    public ScalingSpec withTarget(double target) {
        return new ScalingSpec(minReplicas, maxReplicas, containerConcurrency, OptionalDouble.of(target), stableWindow,
                panicWindow, scaleToZeroGrace);
    }

    /** The stable window, with the panic window kept at a tenth of it as Knative does. */
    public ScalingSpec withStableWindow(Duration stableWindow) {
        return new ScalingSpec(minReplicas, maxReplicas, containerConcurrency, target, stableWindow,
                stableWindow.dividedBy(10), scaleToZeroGrace);
    }

    public ScalingSpec withScaleToZeroGrace(Duration grace) {
        return new ScalingSpec(minReplicas, maxReplicas, containerConcurrency, target, stableWindow, panicWindow, grace);
    }

    /** Concurrency one replica should carry: the explicit target, else containerConcurrency × 0.7. */
    public double targetPerReplica() {
        if (target.isPresent()) {
            return target.getAsDouble();
        }
        int cc = containerConcurrency == 0 ? UNLIMITED_CONCURRENCY_DEFAULT : containerConcurrency;
        return cc * TARGET_UTILIZATION;
    }

    private static void requirePositive(String what, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(what + " must be more than 0, got " + d);
        }
    }
}
