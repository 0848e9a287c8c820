package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Set;

/**
 * {@code POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>} (end-11): asks the registry to link a blob it
 * already holds in another repository. 201 means mounted; 202 means it could not and opened an ordinary upload
 * session instead, which the push then uses.
 */
final class MountBlob implements RegistryEndpoint<MountBlob.Outcome> {
    private final Routes routes;
    private final String repository;
    private final Digest digest;
    private final String from;

    /** Either mounted, or an upload session to send the blob to. */
    record Outcome(boolean mounted, URI uploadLocation) {
    }

    MountBlob(Routes routes, String repository, Digest digest, String from) {
        this.routes = routes;
        this.repository = repository;
        this.digest = digest;
        this.from = from;
    }

    @Override
    public String method() {
        return "POST";
    }

    @Override
    public URI uri() {
        return routes.mount(repository, digest, from);
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(201, 202);
    }

    @Override
    public Outcome handle(HttpResponse<InputStream> response) {
        if (response.statusCode() == 201) {
            return new Outcome(true, null);
        }
        return new Outcome(false, Routes.resolveLocation(response.uri(), response.headers().firstValue("Location").orElse(null)));
    }

    @Override
    public String description() {
        return "blob mount " + digest + " from " + from;
    }
}
