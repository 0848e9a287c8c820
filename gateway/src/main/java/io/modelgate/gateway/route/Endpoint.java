package io.modelgate.gateway.route;

import java.net.URI;

/** One ready replica of a model, as the router sees it: an id (the container's) and where it listens. */
public record Endpoint(String id, URI base) {
    public Endpoint {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("endpoint id is required");
        }
        if (base == null) {
            throw new IllegalArgumentException("endpoint " + id + " needs a base URI");
        }
    }

    public static Endpoint of(String id, URI base) {
        return new Endpoint(id, base);
    }
}
