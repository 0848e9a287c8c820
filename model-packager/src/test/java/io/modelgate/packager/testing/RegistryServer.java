package io.modelgate.packager.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real registry for tests: Debian's {@code docker-registry} (distribution 2.8) with filesystem storage in a
 * directory of the test, on 127.0.0.1 and a free port, optionally with htpasswd or token auth or read-only.
 * {@link #close()} stops it (SIGTERM, then SIGKILL); a shutdown hook kills it if the test JVM dies first, so no
 * registry outlives its test. Its access log is kept for assertions on what was actually requested.
 * <pre>
 * try (RegistryServer registry = RegistryServer.in(tempDir).start()) { … registry.host() … }
 * </pre>
 */
public final class RegistryServer implements AutoCloseable {
    private final Process process;
    private final int port;
    private final Path storage;
    private final Path log;
    private final Thread killer;

    private RegistryServer(Process process, int port, Path storage, Path log) {
        this.process = process;
        this.port = port;
        this.storage = storage;
        this.log = log;
        this.killer = new Thread(process::destroyForcibly, "kill docker-registry " + port);
        Runtime.getRuntime().addShutdownHook(killer);
    }

    public static Builder in(Path dir) {
        return new Builder(dir);
    }

    /** {@code 127.0.0.1:<port>}, the registry part of image references. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The storage root (distribution's layout under docker/registry/v2). */
    public Path storage() {
        return storage;
    }

    /** Where the registry keeps a blob's bytes. */
    public Path blobData(String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return storage.resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
    }

    /** Everything the registry logged so far, access log included. */
    public String log() throws IOException {
        return Files.readString(log, StandardCharsets.UTF_8);
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** Kills the registry at once (SIGKILL), as a crash would: open connections are cut. */
    public void kill() {
        process.destroyForcibly();
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
    }

    public static final class Builder {
        private final Path dir;
        private String auth = "";
        private boolean readOnly;

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** Basic auth against an htpasswd file (bcrypt entries, as {@code htpasswd -B} writes them). */
        public Builder htpasswd(Path file) {
            auth = "auth:\n  htpasswd:\n    realm: modelgate-test\n    path: " + file.toAbsolutePath() + "\n";
            return this;
        }

        /** Bearer tokens from a token service, whose signing certificate the registry trusts. */
        public Builder token(TokenServer tokens) {
            auth = "auth:\n  token:\n    realm: " + tokens.realm() + "\n    service: " + tokens.service()
                    + "\n    issuer: " + tokens.issuer() + "\n    rootcertbundle: " + tokens.certificateBundle().toAbsolutePath() + "\n";
            return this;
        }

        /** Maintenance mode: reads work, every write is refused (405 UNSUPPORTED). */
        public Builder readOnly() {
            readOnly = true;
            return this;
        }

        public RegistryServer start() throws IOException, InterruptedException {
            Path registry = ExternalTools.require("docker-registry", "docker-registry");
            Files.createDirectories(dir);
            IOException last = null;
            for (int attempt = 0; attempt < 3; attempt++) {
                int port = freePort();
                Path storage = Files.createDirectories(dir.resolve("storage-" + port));
                Path config = dir.resolve("registry-" + port + ".yml");
                Files.writeString(config, """
                        version: 0.1
                        log:
                          level: info
                        storage:
                          filesystem:
                            rootdirectory: %s
                          maintenance:
                            uploadpurging:
                              enabled: false
                            readonly:
                              enabled: %s
                        http:
                          addr: 127.0.0.1:%d
                          secret: modelgate-test-secret
                        %s""".formatted(storage.toAbsolutePath(), readOnly, port, auth));
                Path log = dir.resolve("registry-" + port + ".log");
                ProcessBuilder pb = new ProcessBuilder(registry.toString(), "serve", config.toString())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
                // REGISTRY_* variables override the config file; one left in the environment would change the test.
                pb.environment().keySet().removeIf(k -> k.startsWith("REGISTRY_"));
                RegistryServer server = new RegistryServer(pb.start(), port, storage, log);
                try {
                    server.awaitReady();
                    return server;
                } catch (IOException e) {
                    server.close();
                    last = e;
                }
            }
            throw last;
        }
    }

    private void awaitReady() throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        HttpRequest ping = HttpRequest.newBuilder(URI.create("http://" + host() + "/v2/")).timeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited with " + process.exitValue() + ":\n" + log());
            }
            try {
                int status = http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 200 || status == 401) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(50);
        }
        throw new IOException("docker-registry did not answer on " + host() + " within 20 s:\n" + log());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
