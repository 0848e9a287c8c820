package io.modelgate.gateway.route;

import java.net.URI;

/**
 * One ready replica of a model, as the router sees it: an id (the container's), where it listens, and the revision
 * of the deployment it runs (0 when the model has no revisions; see {@link Router#setWeights}).
 */
public record Endpoint(String id, URI base, int revision) {
    public Endpoint {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("endpoint id is required");
        }
        if (base == null) {
            throw new IllegalArgumentException("endpoint " + id + " needs a base URI");
        }
        if (revision < 0) {
            throw new IllegalArgumentException("endpoint " + id + ": revision must be 0 or more, got " + revision);
        }
    }

    /** An endpoint of a model without revisions. */
    public Endpoint(String id, URI base) {
        this(id, base, 0);
    }

    public static Endpoint of(String id, URI base) {
        return new Endpoint(id, base, 0);
    }

    public static Endpoint of(String id, URI base, int revision) {
        return new Endpoint(id, base, revision);
    }
}
