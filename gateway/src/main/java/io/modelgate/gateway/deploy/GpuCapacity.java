package io.modelgate.gateway.deploy;

/** How many GPUs this machine has for replicas in all: the API refuses a deployment asking for more per replica. */
public interface GpuCapacity {
    int total();
}
