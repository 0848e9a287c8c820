package io.modelgate.gateway.scale;

/**
 * One tick's outcome: the replica count wanted, why, and the state to feed into the next tick.
 *
 * @param stableConcurrency average concurrency over the stable window
 * @param panicConcurrency  average concurrency over the panic window
 */
public record Decision(int desired, boolean panicking, double stableConcurrency, double panicConcurrency,
                       ScalerState next) {
}
