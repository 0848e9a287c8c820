package io.modelgate.gateway.route;

import java.io.IOException;

/** The work to do on the chosen replica, e.g. one proxied HTTP exchange. */
@FunctionalInterface
public interface ReplicaCall<T> {
    /**
     * @throws NotReachedException when the request never reached the replica (connection refused or reset before
     *                             sending): the router counts it against the replica and tries another
     */
    T call(Endpoint endpoint) throws IOException, InterruptedException;

    /** Thrown by a {@link ReplicaCall} when the replica could not be connected to; the request is safe to retry. */
    final class NotReachedException extends IOException {
        public NotReachedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
