package io.modelgate.gateway.scale;

import java.time.Instant;

/**
 * What the decider carries from one tick to the next for one model, so that the decider itself stays a pure function.
 *
 * @param panicSince    the last time the panic condition held while panicking, null when not panicking
 * @param maxPanicPods  the highest count decided during this panic (never scale down while panicking)
 * @param lastActive    the last time any load was seen (or the deployment was created), for the scale-to-zero grace
 * @param desired       the count decided last tick
 */
public record ScalerState(Instant panicSince, int maxPanicPods, Instant lastActive, int desired) {
    /** A freshly deployed model: not panicking, counted as active now so that scale-to-zero waits a full grace. */
    public static ScalerState initial(Instant now, int desired) {
        return new ScalerState(null, 0, now, desired);
    }

    public boolean panicking() {
        return panicSince != null;
    }
}
