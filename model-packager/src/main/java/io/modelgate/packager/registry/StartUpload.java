package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Set;

/** {@code POST /v2/<name>/blobs/uploads/} (end-4a): opens an upload session; its Location is where the bytes go. */
final class StartUpload implements RegistryEndpoint<URI> {
    private final Routes routes;
    private final String repository;
    private final Digest digest;

    StartUpload(Routes routes, String repository, Digest digest) {
        this.routes = routes;
        this.repository = repository;
        this.digest = digest;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public URI uri() {
        return routes.uploads(repository);
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(202);
    }

    @Override
    public URI handle(HttpResponse<InputStream> response) {
        return Routes.resolveLocation(response.uri(), response.headers().firstValue("Location").orElse(null));
    }

    @Override
    public String description() {
        return "blob upload " + digest + " (opening the upload session)";
    }
}
