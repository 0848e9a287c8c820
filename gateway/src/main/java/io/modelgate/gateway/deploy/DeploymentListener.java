package io.modelgate.gateway.deploy;

/** Told when the stored deployments change, so that they are acted on without waiting for the next tick. */
public interface DeploymentListener {
    void deploymentsChanged();
}
