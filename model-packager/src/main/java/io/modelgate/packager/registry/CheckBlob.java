package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Set;

/** {@code HEAD /v2/<name>/blobs/<digest>} (end-2): does the repository already hold the blob, so a push can skip it. */
final class CheckBlob implements RegistryEndpoint<Boolean> {
    private final Routes routes;
    private final String repository;
    private final Digest digest;

    CheckBlob(Routes routes, String repository, Digest digest) {
        this.routes = routes;
        this.repository = repository;
        this.digest = digest;
    }

    @Override
    public String method() {
        return "HEAD";
    }

    @Override
    public URI uri() {
        return routes.blob(repository, digest);
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(200, 404);
    }

    @Override
    public Boolean handle(HttpResponse<InputStream> response) {
        return response.statusCode() == 200;
    }

    @Override
    public String description() {
        return "blob check " + digest;
    }
}
