package io.modelgate.packager.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelgate.packager.image.Json;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Where registry credentials come from and where {@code modelgate login} keeps them.
 * <p>
 * Lookup order: {@code MODELGATE_REGISTRY_USER}/{@code MODELGATE_REGISTRY_PASSWORD} (for CI jobs that hold a
 * secret in the environment), then {@code <home>/auth.json}, then the {@code auths} of
 * {@code ~/.docker/config.json} so that an existing {@code docker login} works too. Both files have Docker's
 * shape, {@code {"auths":{"host":{"auth":"base64(user:password)"}}}}; credential helpers are not consulted.
 */
public final class AuthFile {
    static final String ENV_USER = "MODELGATE_REGISTRY_USER";
    static final String ENV_PASSWORD = "MODELGATE_REGISTRY_PASSWORD";
    /** The key Docker files Docker Hub credentials under. */
    private static final String DOCKER_HUB_KEY = "https://index.docker.io/v1/";

    private final Path file;
    private final Path dockerConfig;
    private final Map<String, String> env;

    AuthFile(Path file, Path dockerConfig, Map<String, String> env) {
        this.file = file;
        this.dockerConfig = dockerConfig;
        this.env = Map.copyOf(env);
    }

    /** The credentials of a modelgate home, with Docker's config and the environment as fallbacks. */
    public static AuthFile in(Path home) {
        return new AuthFile(home.resolve("auth.json"),
                Path.of(System.getProperty("user.home"), ".docker", "config.json"), System.getenv());
    }

    public Path path() {
        return file;
    }

    /** The credentials to use for a registry host, if any source has them. */
    public Optional<Credentials> find(String registry) {
        String user = env.get(ENV_USER);
        String password = env.get(ENV_PASSWORD);
        if (user != null && !user.isBlank() && password != null && !password.isEmpty()) {
            return Optional.of(Credentials.of(user, password));
        }
        Optional<Credentials> own = lookup(file, registry);
        return own.isPresent() ? own : lookup(dockerConfig, registry);
    }

    /** Stores credentials for a registry, readable by the owner only (0600), replacing the file atomically. */
    public void save(String registry, Credentials credentials) throws IOException {
        ObjectNode root = Files.exists(file) ? readObject(file) : Json.mapper().createObjectNode();
        ObjectNode auths = root.has("auths") && root.get("auths").isObject() ? (ObjectNode) root.get("auths") : root.putObject("auths");
        ObjectNode entry = auths.putObject(normalize(registry));
        entry.put("auth", credentials.authField());
        Files.createDirectories(file.getParent());
        Path temp = file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
        boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
        // Created 0600 from the start, so the password is never readable by others, not even for a moment.
        if (posix) {
            Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(temp);
        }
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root)));
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static Optional<Credentials> lookup(Path config, String registry) {
        if (config == null || !Files.isRegularFile(config)) {
            return Optional.empty();
        }
        ObjectNode root;
        try {
            root = readObject(config);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read registry credentials from " + config + ": " + e.getMessage(), e);
        }
        String wanted = normalize(registry);
        for (Map.Entry<String, JsonNode> e : root.path("auths").properties()) {
            if (!normalize(e.getKey()).equals(wanted)) {
                continue;
            }
            JsonNode entry = e.getValue();
            try {
                if (entry.hasNonNull("auth") && !entry.get("auth").asText().isEmpty()) {
                    return Optional.of(Credentials.fromAuthField(entry.get("auth").asText()));
                }
                if (entry.hasNonNull("username") && entry.hasNonNull("password")) {
                    return Optional.of(Credentials.of(entry.get("username").asText(), entry.get("password").asText()));
                }
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException("the credentials for " + e.getKey() + " in " + config + " are unusable: "
                        + bad.getMessage() + " (run 'modelgate login " + registry + "' again)", bad);
            }
        }
        return Optional.empty();
    }

    private static ObjectNode readObject(Path config) throws IOException {
        JsonNode node = Json.mapper().readTree(config.toFile());
        if (node == null || !node.isObject()) {
            throw new IOException(config + " does not hold a JSON object");
        }
        return (ObjectNode) node;
    }

    /**
     * Reduces the ways config files name a registry ({@code https://host/v1/}, {@code host}, Docker Hub's several
     * names) to the bare host, so that an entry written by either tool is found.
     */
    static String normalize(String key) {
        String k = key.trim();
        if (k.equals(DOCKER_HUB_KEY)) {
            return "docker.io";
        }
        if (k.contains("://")) {
            URI uri = URI.create(k);
            k = uri.getPort() > 0 ? uri.getHost() + ":" + uri.getPort() : uri.getHost();
        } else if (k.contains("/")) {
            k = k.substring(0, k.indexOf('/'));
        }
        k = k.toLowerCase(Locale.ROOT);
        return switch (k) {
            case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com" -> "docker.io";
            default -> k;
        };
    }
}
