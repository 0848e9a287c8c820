package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;

/**
 * {@code PUT /v2/<name>/manifests/<reference>} (end-7) with the manifest bytes exactly as stored and its media
 * type as Content-Type, so the registry serves the same digest we have.
 */
final class PutManifest implements RegistryEndpoint<Void> {
    private final Routes routes;
    private final String repository;
    private final String reference;
    private final byte[] manifest;
    private final String mediaType;

    PutManifest(Routes routes, String repository, String reference, byte[] manifest, String mediaType) {
        this.routes = routes;
        this.repository = repository;
        this.reference = reference;
        this.manifest = manifest.clone();
        this.mediaType = mediaType;
    }

    @Override
    public String method() {
        return "PUT";
    }

    @Override
    public URI uri() {
        return routes.manifest(repository, reference);
    }

    @Override
    public void addHeaders(HttpRequest.Builder request) {
        request.header("Content-Type", mediaType);
    }

    @Override
    public HttpRequest.BodyPublisher body() {
        return HttpRequest.BodyPublishers.ofByteArray(manifest);
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(201);
    }

    @Override
    public Void handle(HttpResponse<InputStream> response) {
        Uploads.requireDigest(response, Digest.sha256(manifest), "manifest");
        return null;
    }

    @Override
    public String description() {
        return "manifest upload " + repository + ":" + reference;
    }

    @Override
    public boolean followsRedirects() {
        return false;
    }
}
