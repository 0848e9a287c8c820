package io.modelgate.gateway.deploy;

import java.time.Instant;

/** A deployment as stored: the spec and when it was accepted. */
public record Deployment(DeploymentSpec spec, Instant createdAt) {
    public String name() {
        return spec.name();
    }
}
