package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.MediaTypes;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET /v2/<name>/manifests/<reference>} (end-3), accepting OCI and Docker schema 2 manifests and indexes.
 * The bytes are kept exactly as received: their sha256 is the image's identity.
 */
final class GetManifest implements RegistryEndpoint<GetManifest.Fetched> {
    /** The distribution spec lets registries refuse manifests above 4 MiB; nothing legitimate is larger. */
    static final int MAX_MANIFEST_BYTES = 4 << 20;

    private final Routes routes;
    private final String repository;
    private final String reference;

    /** The manifest bytes, the Content-Type, and the Docker-Content-Digest the registry vouched for (if any). */
    record Fetched(byte[] bytes, String contentType, Optional<Digest> headerDigest) {
    }

    GetManifest(Routes routes, String repository, String reference) {
        this.routes = routes;
        this.repository = repository;
        this.reference = reference;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public URI uri() {
        return routes.manifest(repository, reference);
    }

    @Override
    public void addHeaders(HttpRequest.Builder request) {
        request.header("Accept", MediaTypes.MANIFEST_ACCEPT);
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(200);
    }

    @Override
    public Fetched handle(HttpResponse<InputStream> response) throws IOException {
        byte[] bytes;
        try {
            bytes = response.body().readNBytes(MAX_MANIFEST_BYTES + 1);
        } catch (IOException e) {
            throw new RegistryException("the connection to registry " + routes.registry() + " broke while reading "
                    + description() + ": " + e.getMessage(), e);
        }
        if (bytes.length > MAX_MANIFEST_BYTES) {
            throw new RegistryException("registry sent more than " + MAX_MANIFEST_BYTES + " bytes for " + description()
                    + "; that is no image manifest");
        }
        String type = response.headers().firstValue("Content-Type").map(t -> t.split(";")[0].trim()).orElse(null);
        return new Fetched(bytes, type, Uploads.contentDigest(response));
    }

    @Override
    public String description() {
        return "manifest fetch " + repository + (reference.startsWith("sha256:") ? "@" : ":") + reference;
    }
}
