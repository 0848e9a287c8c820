package io.modelgate.runtime.process;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Finds mg-monitor and mg-exec: in target/classes/native when running from the build, else extracted from the jar to
 * {@code <home>/lib/<sha256 prefix>/} (home: system property {@code modelgate.home}, else {@code $MODELGATE_HOME},
 * else {@code ~/.modelgate}), once per content, so that different versions never overwrite each other.
 */
final class NativeBinaries {
    static final String MONITOR = "mg-monitor";
    static final String EXEC = "mg-exec";
    static final String PROXY = "mg-proxy";

    private static final Map<String, Path> FOUND = new ConcurrentHashMap<>();

    private NativeBinaries() {
    }

    static Path path(String name) throws IOException {
        Path found = FOUND.get(name);
        if (found == null) {
            found = locate(name);
            FOUND.put(name, found);
        }
        return found;
    }

    private static Path locate(String name) throws IOException {
        String resource = "/native/" + name;
        URL url = NativeBinaries.class.getResource(resource);
        if (url == null) {
            throw new ContainerException(resource + " is not on the classpath: runtime-native was built without its C side "
                    + "(it needs make and gcc: ./mvnw -pl runtime-native compile)");
        }
        if (url.getProtocol().equals("file")) {
            Path path;
            try {
                path = Path.of(url.toURI());
            } catch (URISyntaxException e) {
                throw new ContainerException("cannot use " + url + ": " + e.getMessage(), e);
            }
            if (!Files.isExecutable(path)) {
                throw new ContainerException(path + " is not executable");
            }
            return path;
        }
        byte[] content;
        try (InputStream in = url.openStream()) {
            content = in.readAllBytes();
        }
        Path dir = home().resolve("lib").resolve(sha256(content).substring(0, 16));
        Path target = dir.resolve(name);
        if (Files.isExecutable(target) && Files.size(target) == content.length) {
            return target;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, name, ".tmp");
        try {
            Files.write(tmp, content);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        return target;
    }

    static Path home() {
        String property = System.getProperty("modelgate.home");
        if (property != null && !property.isBlank()) {
            return Path.of(property);
        }
        String env = System.getenv("MODELGATE_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".modelgate");
    }

    private static String sha256(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
