package io.modelgate.gateway.route;

import java.util.concurrent.CompletionStage;

/**
 * The work to do on the chosen replica without blocking, e.g. one proxied HTTP exchange; the stage fails with
 * {@link ReplicaCall.NotReachedException} when the request never reached the replica (the router then tries another).
 */
@FunctionalInterface
public interface AsyncReplicaCall<T> {
    CompletionStage<T> call(Endpoint endpoint);
}
