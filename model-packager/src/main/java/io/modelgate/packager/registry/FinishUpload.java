package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Set;

/** {@code PUT <location>?digest=<digest>} without a body (end-6): closes a chunked upload; the registry checks the digest. */
final class FinishUpload implements RegistryEndpoint<Void> {
    private final URI location;
    private final Digest digest;

    FinishUpload(URI location, Digest digest) {
        this.location = location;
        this.digest = digest;
    }

    @Override
    public String method() {
        return "PUT";
    }

    @Override
    public URI uri() {
        return Routes.withQuery(location, "digest", digest.toString());
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(201);
    }

    @Override
    public Void handle(HttpResponse<InputStream> response) {
        Uploads.requireDigest(response, digest, "blob upload");
        return null;
    }

    @Override
    public String description() {
        return "blob upload " + digest + " (closing the upload session)";
    }

    @Override
    public boolean followsRedirects() {
        return false;
    }
}
