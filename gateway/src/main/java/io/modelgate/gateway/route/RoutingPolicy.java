package io.modelgate.gateway.route;

import java.time.Duration;
import java.util.Optional;

/**
 * How the router treats one model's requests.
 *
 * @param containerConcurrency requests one replica may serve at once, 0 = unlimited
 * @param queueLimit           requests that may wait for a free replica before callers are told to come back later
 * @param queueTimeout         how long a request waits for a free replica when the model has replicas
 * @param coldStartTimeout     how long a request waits while the model scales from zero
 * @param replicaTimeout       how long a replica may take to start answering, and stay silent while answering;
 *                             absent: the data plane's own setting (modelgate.inference.timeout)
 */
public record RoutingPolicy(int containerConcurrency, int queueLimit, Duration queueTimeout, Duration coldStartTimeout,
                            Optional<Duration> replicaTimeout) {
    public static final int DEFAULT_QUEUE_LIMIT = 100;

    public RoutingPolicy {
        if (containerConcurrency < 0) {
            throw new IllegalArgumentException("containerConcurrency must be 0 (unlimited) or more, got " + containerConcurrency);
        }
        if (queueLimit < 0) {
            throw new IllegalArgumentException("queue limit must be 0 or more, got " + queueLimit);
        }
        if (queueTimeout.isNegative() || coldStartTimeout.isNegative()) {
            throw new IllegalArgumentException("wait timeouts must not be negative");
        }
        if (replicaTimeout.isPresent() && (replicaTimeout.get().isNegative() || replicaTimeout.get().isZero())) {
            throw new IllegalArgumentException("the replica timeout must be positive, got " + replicaTimeout.get());
        }
    }

    /** A limit per replica with the default queue (100 waiting, 10 s), and 60 s to come up from zero. */
    public static RoutingPolicy of(int containerConcurrency) {
        return new RoutingPolicy(containerConcurrency, DEFAULT_QUEUE_LIMIT, Duration.ofSeconds(10), Duration.ofSeconds(60),
                Optional.empty());
    }

    public RoutingPolicy withQueue(int limit, Duration timeout) {
        return new RoutingPolicy(containerConcurrency, limit, timeout, coldStartTimeout, replicaTimeout);
    }

    public RoutingPolicy withColdStartTimeout(Duration timeout) {
        return new RoutingPolicy(containerConcurrency, queueLimit, queueTimeout, timeout, replicaTimeout);
    }

    public RoutingPolicy withReplicaTimeout(Duration timeout) {
        return new RoutingPolicy(containerConcurrency, queueLimit, queueTimeout, coldStartTimeout, Optional.of(timeout));
    }
}
