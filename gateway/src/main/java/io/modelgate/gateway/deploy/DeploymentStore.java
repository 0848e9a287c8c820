package io.modelgate.gateway.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The durable desired state: one JSON file per deployment under {@code <home>/deployments}. A write is on disk
 * (temp file, fsync, rename, fsync of the directory) before the call returns, so an accepted deployment survives a
 * crash; a crash mid-write leaves at most a stray temp file, which {@link #open} removes. Thread-safe.
 */
public final class DeploymentStore {
    private static final String SUFFIX = ".json";
    private static final String TEMP_PREFIX = ".tmp-";

    private final Path dir;

    private DeploymentStore(Path dir) {
        this.dir = dir;
    }

    public static DeploymentStore open(Path home) {
        Path dir = home.resolve("deployments");
        try {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
                for (Path t : temps) {
                    Files.deleteIfExists(t);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the deployment store at " + dir + ": " + e.getMessage(), e);
        }
        return new DeploymentStore(dir);
    }

    public Path dir() {
        return dir;
    }

    /** Stores a new deployment; fails with {@link AlreadyDeployedException} when the name is taken. */
    public synchronized void create(Deployment d) throws IOException {
        Path file = file(d.name());
        if (Files.exists(file)) {
            throw new AlreadyDeployedException(d.name());
        }
        writeDurably(file, DeploymentJson.write(d).toPrettyString().getBytes(StandardCharsets.UTF_8));
    }

    public synchronized Optional<Deployment> get(String name) throws IOException {
        if (!DeploymentSpec.DNS_LABEL.matcher(name).matches()) {
            return Optional.empty(); // never turn a user's string into a path it could escape with
        }
        try {
            return Optional.of(read(file(name)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** All deployments, by name. */
    public synchronized List<Deployment> list() throws IOException {
        List<Deployment> all = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path f : files) {
                if (!f.getFileName().toString().startsWith(TEMP_PREFIX)) {
                    all.add(read(f));
                }
            }
        }
        all.sort(Comparator.comparing(Deployment::name));
        return all;
    }

    /**
     * Reads, changes and durably rewrites one deployment as one step (concurrent changes are serialised); empty when
     * there is none. An exception from {@code change} leaves the stored deployment as it was.
     */
    public synchronized Optional<Deployment> update(String name, java.util.function.UnaryOperator<Deployment> change)
            throws IOException {
        Optional<Deployment> current = get(name);
        if (current.isEmpty()) {
            return current;
        }
        Deployment next = change.apply(current.get());
        if (!next.name().equals(name)) {
            throw new IllegalArgumentException("a deployment cannot be renamed");
        }
        writeDurably(file(name), DeploymentJson.write(next).toPrettyString().getBytes(StandardCharsets.UTF_8));
        return Optional.of(next);
    }

    /** Removes a deployment durably; false when there was none. */
    public synchronized boolean delete(String name) throws IOException {
        if (!DeploymentSpec.DNS_LABEL.matcher(name).matches()) {
            return false;
        }
        boolean deleted = Files.deleteIfExists(file(name));
        if (deleted) {
            syncDirectory();
        }
        return deleted;
    }

    private Deployment read(Path f) throws IOException {
        try {
            return DeploymentJson.parseStored(Files.readAllBytes(f));
        } catch (FieldException e) {
            throw new IOException("deployment file " + f + " is damaged (" + e.field() + ": " + e.getMessage()
                    + "); fix or remove it", e);
        }
    }

    private Path file(String name) {
        return dir.resolve(name + SUFFIX);
    }

    private void writeDurably(Path target, byte[] bytes) throws IOException {
        Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID() + SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the deployment store at " + dir + " is on a file system without atomic rename", e);
            }
            syncDirectory();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Makes the rename or delete itself durable (the directory entry), as fsync of the file alone does not. */
    private void syncDirectory() throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** The name is already deployed. */
    public static final class AlreadyDeployedException extends IOException {
        public AlreadyDeployedException(String name) {
            super("model '" + name + "' is already deployed; delete it first or choose another name");
        }
    }
}
