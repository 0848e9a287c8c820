package io.modelgate.gateway;

import io.modelgate.gateway.deploy.ReplicaRuntime;

/** Makes the replica runtime when the reconciler starts, so that nothing touches containers while it is disabled. */
public interface ReplicaRuntimeFactory {
    ReplicaRuntime create();
}
