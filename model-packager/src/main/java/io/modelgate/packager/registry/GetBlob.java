package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.function.LongConsumer;

/**
 * {@code GET /v2/<name>/blobs/<digest>} (end-2), streamed into {@code sink}, refusing more bytes than the
 * descriptor announced. Redirects (to a storage backend) are followed. The digest is checked by the sink's commit.
 */
final class GetBlob implements RegistryEndpoint<Long> {
    private final Routes routes;
    private final String repository;
    private final Digest digest;
    private final long size;
    private final OutputStream sink;
    private final LongConsumer position;

    GetBlob(Routes routes, String repository, Digest digest, long size, OutputStream sink, LongConsumer position) {
        this.routes = routes;
        this.repository = repository;
        this.digest = digest;
        this.size = size;
        this.sink = sink;
        this.position = position;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public URI uri() {
        return routes.blob(repository, digest);
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(200);
    }

    @Override
    public Long handle(HttpResponse<InputStream> response) throws IOException {
        InputStream in = response.body();
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        while (true) {
            int n;
            try {
                n = in.read(buffer);
            } catch (IOException e) {
                // Network trouble, told apart from trouble writing the store, which propagates as it is.
                throw new RegistryException("the connection to registry " + routes.registry() + " broke during "
                        + description() + " after " + total + " of " + size + " bytes: " + e.getMessage(), e);
            }
            if (n < 0) {
                break;
            }
            total += n;
            if (total > size) {
                throw new RegistryException("registry sent more than the " + size + " bytes of blob " + digest
                        + " that the manifest announces; the blob was not stored");
            }
            sink.write(buffer, 0, n);
            position.accept(total);
        }
        if (total != size) {
            throw new RegistryException("registry sent " + total + " bytes for blob " + digest + ", which the manifest says has "
                    + size + "; the blob was not stored");
        }
        return total;
    }

    @Override
    public String description() {
        return "blob fetch " + digest;
    }
}
