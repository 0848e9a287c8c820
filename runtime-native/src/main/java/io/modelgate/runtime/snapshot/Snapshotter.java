package io.modelgate.runtime.snapshot;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.store.DigestMismatchException;
import io.modelgate.packager.store.ImageNotFoundException;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Image layers unpacked once per diff_id into {@code <home>/snapshots/<diff_id hex>/fs}, the directories an
 * overlay rootfs takes as lower dirs.
 * <p>
 * A layer is unpacked into {@code <home>/snapshots/.tmp-<hex>-<random>/fs}, checked against its diff_id, synced
 * and renamed into place with RENAME_NOREPLACE, so a snapshot directory either is complete or does not exist;
 * a per-diff_id lock (threads and processes) makes concurrent preparers of the same layer wait for one unpack.
 * How entries are confined to the snapshot root is {@link LayerUnpacker}'s contract. The snapshots directory is
 * 0700: image files (set-user-ID binaries among them) are for containers, not for the host's users.
 */
public final class Snapshotter {
    private static final Pattern HEX = Pattern.compile("[a-f0-9]{64}");
    private static final String TEMP_PREFIX = ".tmp-";
    private static final String TRASH_PREFIX = ".trash-";
    private static final String SIZE_FILE = "size";

    private final Path snapshots;
    private final SnapshotLocks locks;
    private final AtomicInteger unpacked = new AtomicInteger();

    private Snapshotter(Path home) {
        this.snapshots = home.resolve("snapshots");
        this.locks = new SnapshotLocks(home.resolve("locks").resolve("snapshots"));
    }

    /**
     * Opens (creating when needed) the snapshots of a modelgate home directory. Fails when this machine cannot
     * unpack layers safely (no openat2, kernel older than 5.6), before any layer is touched.
     */
    public static Snapshotter open(Path home) throws IOException {
        Syscalls.requireOpenat2();
        Snapshotter snapshotter = new Snapshotter(home.toAbsolutePath().normalize());
        Files.createDirectories(snapshotter.snapshots);
        Files.setPosixFilePermissions(snapshotter.snapshots, PosixFilePermissions.fromString("rwx------"));
        return snapshotter;
    }

    /** Where the snapshots live. */
    public Path directory() {
        return snapshots;
    }

    /**
     * The lower dirs of {@code image}'s rootfs in overlay order (top layer first, as {@code lowerdir=} takes
     * them), unpacking the layers that have no snapshot yet.
     *
     * @throws SnapshotException when a layer is refused or does not match its diff_id; no snapshot is left of it
     */
    public List<Path> prepare(ImageStore store, StoredImage image) throws IOException {
        List<Descriptor> layers = image.manifest().layers();
        List<Digest> diffIds = image.config().diffIds();
        if (layers.size() != diffIds.size()) {
            throw new SnapshotException("image " + image.ref() + " has " + layers.size() + " layers but its config lists "
                    + diffIds.size() + " diff_ids: the image is corrupt (pull or build it again)");
        }
        List<Path> lower = new ArrayList<>();
        for (int i = 0; i < layers.size(); i++) {
            lower.add(prepare(store, layers.get(i), diffIds.get(i)).path());
        }
        Collections.reverse(lower);
        return List.copyOf(lower);
    }

    /** The snapshot of one layer blob whose uncompressed tar must hash to {@code diffId}, unpacked if missing. */
    public Snapshot prepare(ImageStore store, Descriptor layer, Digest diffId) throws IOException {
        Optional<Snapshot> existing = find(diffId);
        if (existing.isPresent()) {
            return existing.get();
        }
        SnapshotLocks.Held lock = locks.lock(diffId);
        try {
            existing = find(diffId);
            if (existing.isPresent()) {
                return existing.get(); // unpacked by another thread or process while this one waited
            }
            return unpack(store, layer, diffId);
        } finally {
            lock.close();
        }
    }

    /** The snapshot of {@code diffId}, if it has been unpacked. */
    public Optional<Snapshot> find(Digest diffId) throws IOException {
        Path dir = snapshots.resolve(diffId.hex());
        if (!Files.isDirectory(dir.resolve("fs"))) {
            return Optional.empty();
        }
        return Optional.of(new Snapshot(diffId, dir.resolve("fs"), readSize(dir)));
    }

    /** Every snapshot, in diff_id order. */
    public List<Snapshot> list() throws IOException {
        List<Snapshot> out = new ArrayList<>();
        for (Path dir : children()) {
            String name = dir.getFileName().toString();
            if (HEX.matcher(name).matches()) {
                find(Digest.ofHex(name)).ifPresent(out::add);
            }
        }
        return out;
    }

    /**
     * Removes every snapshot whose diff_id is not in {@code inUse} (for {@code system prune}), and what failed or
     * crashed unpacks left behind. Callers pass the diff_ids of every image that runs or is being started;
     * a snapshot being unpacked right now is skipped. Returns the snapshots removed.
     */
    public List<Snapshot> prune(Set<Digest> inUse) throws IOException {
        List<Snapshot> removed = new ArrayList<>();
        for (Snapshot snapshot : list()) {
            if (inUse.contains(snapshot.diffId())) {
                continue;
            }
            Path trash = snapshots.resolve(TRASH_PREFIX + UUID.randomUUID());
            try (SnapshotLocks.Held lock = locks.tryLock(snapshot.diffId())) {
                if (lock == null) {
                    continue;
                }
                try {
                    Files.move(snapshots.resolve(snapshot.diffId().hex()), trash, StandardCopyOption.ATOMIC_MOVE);
                } catch (NoSuchFileException e) {
                    continue; // pruned by someone else meanwhile
                }
            }
            deleteTree(trash);
            removed.add(snapshot);
        }
        for (Path dir : children()) {
            String name = dir.getFileName().toString();
            if (name.startsWith(TRASH_PREFIX)) {
                deleteTree(dir);
            } else if (name.startsWith(TEMP_PREFIX) && name.length() > TEMP_PREFIX.length() + 64
                    && HEX.matcher(name.substring(TEMP_PREFIX.length(), TEMP_PREFIX.length() + 64)).matches()) {
                // Only while nobody holds the lock of that diff_id, i.e. no unpack of it is running.
                try (SnapshotLocks.Held lock = locks.tryLock(Digest.ofHex(name.substring(TEMP_PREFIX.length(), TEMP_PREFIX.length() + 64)))) {
                    if (lock != null) {
                        deleteTree(dir);
                    }
                }
            }
        }
        return removed;
    }

    /** How many layers this instance has unpacked (not found already unpacked); for tests. */
    int unpackCount() {
        return unpacked.get();
    }

    // ------------------------------------------------------------------ unpacking

    private Snapshot unpack(ImageStore store, Descriptor layer, Digest diffId) throws IOException {
        Compression compression = Compression.ofMediaType(layer.mediaType());
        Path temp = snapshots.resolve(TEMP_PREFIX + diffId.hex() + "-" + UUID.randomUUID());
        Path target = snapshots.resolve(diffId.hex());
        Files.createDirectory(temp);
        try {
            Path fs = Files.createDirectory(temp.resolve("fs"));
            long size;
            MessageDigest sha = Digest.newSha256();
            try (InputStream blob = openLayer(store, layer)) {
                InputStream tar = new DigestInputStream(compression.decompress(blob), sha);
                try {
                    size = LayerUnpacker.unpack(layer.digest(), tar, fs);
                    tar.transferTo(OutputStream.nullOutputStream()); // the padding after the end-of-archive marker
                    blob.transferTo(OutputStream.nullOutputStream()); // to EOF, where the store checks the blob's digest
                } finally {
                    tar.close();
                }
            } catch (DigestMismatchException e) {
                throw new SnapshotException("layer " + layer.digest() + " is corrupt in the store (" + e.getMessage()
                        + "): pull or build the image again", e);
            } catch (IOException e) {
                throw new SnapshotException("layer " + layer.digest() + " cannot be read: " + e.getMessage()
                        + " (the blob is corrupt or not " + layer.mediaType() + "; pull or build the image again)", e);
            }
            Digest actual = Digest.fromHash(sha.digest());
            if (!actual.equals(diffId)) {
                throw new SnapshotException("layer " + layer.digest() + " unpacks to diff_id " + actual + " but the image config"
                        + " says " + diffId + ": the layer or the config is corrupt or was tampered with (rejected; pull or"
                        + " build the image again)");
            }
            Files.writeString(temp.resolve(SIZE_FILE), Long.toString(size), StandardCharsets.US_ASCII);
            sync(temp);
            if (!Syscalls.renameNoReplace(temp, target)) {
                deleteTree(temp); // another process unpacked it meanwhile without our lock; theirs is as good
            } else {
                fsyncDirectory(snapshots);
                unpacked.incrementAndGet();
            }
            return find(diffId).orElseThrow(() -> new SnapshotException("snapshot " + target + " vanished while it was prepared"));
        } catch (IOException | RuntimeException | Error e) {
            try {
                deleteTree(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    private static InputStream openLayer(ImageStore store, Descriptor layer) throws IOException {
        try {
            return store.openBlob(layer.digest());
        } catch (ImageNotFoundException e) {
            throw new SnapshotException("layer " + layer.digest() + " is not in the image store (pull the image again)", e);
        }
    }

    /** syncfs(2) before the rename: a snapshot that exists after a crash must have all its content. */
    private static void sync(Path dir) throws IOException {
        int fd = Syscalls.openDirectory(dir);
        try {
            Syscalls.syncfs(fd, dir.toString());
        } finally {
            Syscalls.close(fd);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // Some file systems refuse fsync on a directory; the rename itself is still atomic.
        }
    }

    private static long readSize(Path dir) throws IOException {
        try {
            return Long.parseLong(Files.readString(dir.resolve(SIZE_FILE), StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException | NumberFormatException e) {
            return 0;
        }
    }

    private List<Path> children() throws IOException {
        try (Stream<Path> s = Files.list(snapshots)) {
            return s.sorted().toList();
        }
    }

    /**
     * Deletes a tree under the snapshots directory. Only this module's own directories are passed here, and the
     * walk does not follow symlinks, so a layer's symlinks are removed, never followed.
     */
    static void deleteTree(Path dir) throws IOException {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    if (e != null && !(e instanceof NoSuchFileException)) {
                        throw e;
                    }
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (NoSuchFileException ignored) {
            // already gone
        }
    }
}
