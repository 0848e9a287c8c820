package io.modelgate.runtime.container;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** Named volumes: directories under {@code <home>/volumes/<name>/_data} that outlive the containers using them. */
public final class Volumes {
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private final Path dir;

    private Volumes(Path dir) {
        this.dir = dir;
    }

    public static Volumes open(Path home) {
        return new Volumes(home.resolve("volumes"));
    }

    /** Creates a volume; creating one that exists is not an error (as with Docker). */
    public Path create(String name) throws IOException {
        requireName(name);
        Path data = dir.resolve(name).resolve("_data");
        Files.createDirectories(data);
        return data;
    }

    public List<String> list() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> Files.isDirectory(p.resolve("_data"))).map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    public boolean exists(String name) {
        return NAME.matcher(name).matches() && Files.isDirectory(dir.resolve(name).resolve("_data"));
    }

    public Path path(String name) {
        requireName(name);
        return dir.resolve(name).resolve("_data");
    }

    /** Deletes a volume and its data; {@code inUseBy} names a container using it, which refuses the removal. */
    public void remove(String name, List<String> inUseBy) throws IOException {
        requireName(name);
        if (!exists(name)) {
            throw new IllegalArgumentException("no volume '" + name + "' (see 'modelgate volume ls')");
        }
        if (!inUseBy.isEmpty()) {
            throw new IllegalStateException("volume '" + name + "' is in use by container " + String.join(", ", inUseBy)
                    + " (remove the container first)");
        }
        try (Stream<Path> walk = Files.walk(dir.resolve(name))) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void requireName(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("volume name '" + name + "' must be 1-128 letters, digits, '_', '.' or '-'");
        }
    }

    static void createdOrExisting(Path p) throws IOException {
        try {
            Files.createDirectory(p);
        } catch (FileAlreadyExistsException e) {
            // fine
        }
    }
}
