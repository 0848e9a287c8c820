package io.modelgate.packager.registry;

import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * A client for one OCI distribution-spec registry
 * (<a href="https://github.com/opencontainers/distribution-spec/blob/main/spec.md">spec.md</a>): pushes images
 * from the store, pulls images into it, and checks credentials.
 * <pre>
 * RegistryClient client = RegistryClient.to("localhost:5000").transport(Transport.PLAIN_HTTP)
 *         .credentials(authFile.find("localhost:5000")).build();
 * client.push(store, store.resolve("localhost:5000/iris:1"), ImageRef.parse("localhost:5000/iris:1"), listener);
 * </pre>
 * Every failure is a {@link RegistryException} whose message starts with the operation ("push
 * localhost:5000/iris:1: …") and says what the registry answered. A client keeps the tokens it obtained and may be
 * used for several operations, one at a time.
 */
public final class RegistryClient {
    private final Routes routes;
    private final Optional<Credentials> credentials;
    private final RegistryCaller caller;
    private final BlobLocations locations;
    private final long chunkedUploadThreshold;
    private final long uploadChunkSize;

    private RegistryClient(Builder b) {
        this.routes = new Routes(b.transport, b.registry);
        this.credentials = b.credentials;
        // HTTP/1.1: registries and the proxies before them all speak it, and the JDK's HTTP/2 flow control slows
        // large uploads. Redirects are followed by RegistryCaller, which must drop credentials on the way.
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        Authenticator authenticator = new Authenticator(routes, credentials);
        authenticator.useForTokens(new RegistryCaller(http, routes, credentials, null));
        this.caller = new RegistryCaller(http, routes, credentials, authenticator);
        this.locations = new BlobLocations(b.blobLocations);
        this.chunkedUploadThreshold = b.chunkedUploadThreshold;
        this.uploadChunkSize = b.uploadChunkSize;
    }

    /** Starts a client for a registry host ({@code localhost:5000}, {@code ghcr.io}, {@code docker.io}). */
    public static Builder to(String registry) {
        return new Builder(registry);
    }

    public String registry() {
        return routes.registry();
    }

    /**
     * Checks that the registry speaks the distribution API and lets these credentials in ({@code GET /v2/},
     * answering its challenge), as {@code login} does before it stores them.
     */
    public void checkAccess() throws IOException {
        try {
            caller.call(new CheckAccess(routes));
        } catch (RegistryException e) {
            throw e.during("login " + routes.registry());
        }
    }

    /**
     * Pushes an image from the store under {@code target}, whose registry must be this client's.
     * @return the manifest digest the registry now serves for the target
     */
    public PushResult push(ImageStore store, StoredImage image, ImageRef target, ProgressListener progress) throws IOException {
        requireThisRegistry(target);
        try {
            return new Pusher(caller, routes, locations, chunkedUploadThreshold, uploadChunkSize, progress).push(store, image, target);
        } catch (RegistryException e) {
            throw e.during("push " + target);
        }
    }

    /**
     * Pulls {@code ref} (by tag or digest) into the store and tags it there; for an index, the manifest for linux
     * and this machine's architecture. Nothing is tagged unless every digest verified.
     */
    public PullResult pull(ImageStore store, ImageRef ref, ProgressListener progress) throws IOException {
        requireThisRegistry(ref);
        try {
            return new Puller(caller, routes, locations, progress).pull(store, ref);
        } catch (RegistryException e) {
            throw e.during("pull " + ref);
        } catch (ImageFormatException e) {
            throw new RegistryException("pull " + ref + ": " + e.getMessage(), e);
        }
    }

    private void requireThisRegistry(ImageRef ref) {
        if (!ref.registryHost().equals(routes.registry())) {
            throw new IllegalArgumentException("'" + ref + "' names registry " + ref.registryHost()
                    + ", but this client talks to " + routes.registry());
        }
    }

    /** Settings of a client; only the registry is required. */
    public static final class Builder {
        private final String registry;
        private Transport transport = Transport.HTTPS;
        private Optional<Credentials> credentials = Optional.empty();
        private Path blobLocations;
        private long chunkedUploadThreshold = RegistryConfig.DEFAULT_CHUNKED_UPLOAD_THRESHOLD;
        private long uploadChunkSize = RegistryConfig.DEFAULT_UPLOAD_CHUNK_SIZE;
        private Duration connectTimeout = Duration.ofSeconds(30);

        private Builder(String registry) {
            if (registry == null || registry.isBlank() || registry.contains("/")) {
                throw new IllegalArgumentException("invalid registry host '" + registry + "' (expected host[:port])");
            }
            this.registry = registry;
        }

        public Builder transport(Transport value) {
            this.transport = Objects.requireNonNull(value);
            return this;
        }

        /** Credentials for Basic auth and for token requests; empty for anonymous access. */
        public Builder credentials(Optional<Credentials> value) {
            this.credentials = Objects.requireNonNull(value);
            return this;
        }

        /**
         * Everything a modelgate home says about this registry, as {@code modelgate pull} uses it: the transport and
         * chunking of {@code <home>/config.json}, the credentials {@code modelgate login} stored (see
         * {@link AuthFile}), and the home's record of which repositories hold which blobs.
         */
        public Builder home(Path home) {
            settings(RegistryConfig.load(home));
            credentials(AuthFile.in(home).find(registry));
            return blobLocations(home.resolve("blob-locations"));
        }

        /** Transport (for this registry) and upload chunking from the settings in config.json. */
        public Builder settings(RegistryConfig config) {
            this.transport = config.transportFor(registry);
            this.chunkedUploadThreshold = config.chunkedUploadThreshold();
            this.uploadChunkSize = config.uploadChunkSize();
            return this;
        }

        /** Blobs above {@code threshold} bytes are uploaded in PATCH chunks of {@code chunkSize}. */
        public Builder chunkedUploads(long threshold, long chunkSize) {
            RegistryConfig checked = new RegistryConfig(null, threshold, chunkSize);
            this.chunkedUploadThreshold = checked.chunkedUploadThreshold();
            this.uploadChunkSize = checked.uploadChunkSize();
            return this;
        }

        /** Where to remember which repositories hold which blobs, for cross-repository mounts; none by default. */
        public Builder blobLocations(Path file) {
            this.blobLocations = file;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            this.connectTimeout = Objects.requireNonNull(value);
            return this;
        }

        public RegistryClient build() {
            return new RegistryClient(this);
        }
    }
}
