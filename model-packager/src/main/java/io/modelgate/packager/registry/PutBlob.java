package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.LongConsumer;

/** {@code PUT <location>?digest=<digest>} with the whole blob as body (end-6): a monolithic upload in one request. */
final class PutBlob implements RegistryEndpoint<Void> {
    private final URI location;
    private final Digest digest;
    private final Path file;
    private final long size;
    private final LongConsumer position;

    PutBlob(URI location, Digest digest, Path file, long size, LongConsumer position) {
        this.location = location;
        this.digest = digest;
        this.file = file;
        this.size = size;
        this.position = position;
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
    public void addHeaders(HttpRequest.Builder request) {
        request.header("Content-Type", "application/octet-stream");
    }

    @Override
    public HttpRequest.BodyPublisher body() {
        return BlobBody.slice(file, 0, size, position);
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
        return "blob upload " + digest;
    }

    @Override
    public boolean followsRedirects() {
        return false;
    }

    @Override
    public int timeoutSeconds() {
        return 0;
    }
}
