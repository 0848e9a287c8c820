package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * {@code PATCH <location>} with one chunk and its Content-Range (end-5). The answer's Location is where the next
 * chunk goes (registries encode the upload state in it), its Range how many bytes the registry now holds.
 */
final class PatchChunk implements RegistryEndpoint<PatchChunk.Accepted> {
    private final URI location;
    private final Digest digest;
    private final Path file;
    private final long offset;
    private final long length;
    private final LongConsumer position;

    record Accepted(URI next, long received) {
    }

    PatchChunk(URI location, Digest digest, Path file, long offset, long length, LongConsumer position) {
        this.location = location;
        this.digest = digest;
        this.file = file;
        this.offset = offset;
        this.length = length;
        this.position = position;
    }

    @Override
    public String method() {
        return "PATCH";
    }

    @Override
    public URI uri() {
        return location;
    }

    @Override
    public void addHeaders(HttpRequest.Builder request) {
        request.header("Content-Type", "application/octet-stream");
        request.header("Content-Range", ContentRange.of(offset, length));
    }

    @Override
    public HttpRequest.BodyPublisher body() {
        return BlobBody.slice(file, offset, length, position);
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(202);
    }

    @Override
    public Accepted handle(HttpResponse<InputStream> response) {
        URI next = Routes.resolveLocation(response.uri(), response.headers().firstValue("Location").orElse(null));
        return new Accepted(next, ContentRange.receivedBytes(response.headers().firstValue("Range").orElse(null)));
    }

    @Override
    public String description() {
        return "blob upload " + digest + " (chunk " + ContentRange.of(offset, length) + ")";
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
