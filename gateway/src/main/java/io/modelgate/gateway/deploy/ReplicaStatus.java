package io.modelgate.gateway.deploy;

import java.util.Optional;

/** What the replicas of a deployment are doing now; empty while nothing reconciles the model (yet). */
public interface ReplicaStatus {
    Optional<Reconciler.Status> of(String model);
}
