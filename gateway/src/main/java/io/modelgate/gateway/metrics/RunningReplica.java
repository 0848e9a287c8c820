package io.modelgate.gateway.metrics;

/**
 * A replica whose container runs now, as the resource meters tag it.
 *
 * @param model       the deployment it serves
 * @param name        the replica's (container's) name, e.g. {@code iris-3fa2c1}: the {@code replica} tag
 * @param containerId the container id, which names its cgroup and its GPU assignment
 */
public record RunningReplica(String model, String name, String containerId) {
}
