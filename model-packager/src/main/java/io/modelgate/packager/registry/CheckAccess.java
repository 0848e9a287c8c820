package io.modelgate.packager.registry;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Set;

/** {@code GET /v2/}: is this a distribution-spec registry, and do our credentials get us in (end-1). */
final class CheckAccess implements RegistryEndpoint<Void> {
    private final Routes routes;

    CheckAccess(Routes routes) {
        this.routes = routes;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public URI uri() {
        return routes.base();
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(200);
    }

    @Override
    public Void handle(HttpResponse<InputStream> response) {
        return null;
    }

    @Override
    public String description() {
        return "the API check GET /v2/";
    }
}
