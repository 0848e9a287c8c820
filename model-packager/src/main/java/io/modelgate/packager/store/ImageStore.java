package io.modelgate.packager.store;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.io.Streams;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The local image store: an OCI image layout ({@code oci-layout}, {@code index.json}, {@code blobs/sha256/…})
 * whose index entries carry {@code org.opencontainers.image.ref.name} tags.
 * <p>
 * Blobs are written to a temporary file, fsynced and renamed into place only once their digest checks; every
 * read verifies the digest again. index.json is replaced atomically under a lock that holds across processes.
 */
public final class ImageStore {
    public static final String REF_NAME = "org.opencontainers.image.ref.name";
    /** containerd's annotation for the full reference, which {@code docker load} reads. */
    public static final String IMAGE_NAME = "io.containerd.image.name";
    /** Registries refuse manifests above 4 MiB (distribution-spec, "Pushing manifests"). */
    private static final long MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

    private final Path layout;
    private final Path blobs;
    private final Path ingest;
    private final StoreLocks locks;

    private ImageStore(Path home) {
        this.layout = home.resolve("images");
        this.blobs = layout.resolve("blobs").resolve("sha256");
        this.ingest = home.resolve("ingest");
        this.locks = StoreLocks.forDirectory(home.resolve("locks"));
    }

    /** Opens (creating when needed) the store under a modelgate home directory. */
    public static ImageStore open(Path home) {
        ImageStore store = new ImageStore(home.toAbsolutePath().normalize());
        try {
            Files.createDirectories(store.blobs);
            Files.createDirectories(store.ingest);
            Path ociLayout = store.layout.resolve("oci-layout");
            if (!Files.exists(ociLayout)) {
                store.writeAtomically(ociLayout, "{\"imageLayoutVersion\":\"1.0.0\"}".getBytes());
            }
            if (!Files.exists(store.layout.resolve("index.json"))) {
                try (StoreLocks.Held ignored = store.locks.index()) {
                    if (!Files.exists(store.layout.resolve("index.json"))) {
                        store.writeIndex(List.of());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create image store at " + store.layout + ": " + e.getMessage(), e);
        }
        return store;
    }

    /** The OCI layout directory. */
    public Path layoutDir() {
        return layout;
    }

    // ---------------------------------------------------------------- blobs

    public boolean hasBlob(Digest digest) {
        return Files.isRegularFile(blobPath(digest));
    }

    public Path blobPath(Digest digest) {
        return blobs.resolve(digest.hex());
    }

    public long blobSize(Digest digest) {
        try {
            return Files.size(blobPath(digest));
        } catch (NoSuchFileException e) {
            throw new ImageNotFoundException("blob " + digest + " is not in the store");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A writer for one new blob. Hold {@link #writeSession()} until the blob is referenced by a tag. */
    public BlobWriter newBlob() throws IOException {
        return new BlobWriter(this, ingest.resolve(UUID.randomUUID() + ".tmp"));
    }

    /** Stores bytes as a blob and returns their digest. */
    public Digest writeBlob(byte[] bytes) throws IOException {
        Digest digest = Digest.sha256(bytes);
        if (hasBlob(digest)) {
            return digest;
        }
        try (BlobWriter writer = newBlob()) {
            writer.write(bytes);
            return writer.commit(digest);
        }
    }

    /** Copies a stream into the store, refusing it unless it hashes to {@code expected} (when given). */
    public Digest writeBlob(InputStream in, Digest expected) throws IOException {
        try (BlobWriter writer = newBlob()) {
            in.transferTo(writer);
            return writer.commit(expected);
        }
    }

    /** Opens a blob for reading; the stream throws {@link DigestMismatchException} at its end if the content is corrupt. */
    public InputStream openBlob(Digest digest) throws IOException {
        Path path = blobPath(digest);
        FileChannel channel;
        try {
            channel = FileChannel.open(path, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw new ImageNotFoundException("blob " + digest + " is not in the store");
        }
        try {
            return new VerifyingInputStream(java.nio.channels.Channels.newInputStream(channel), digest, channel.size());
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    public byte[] readBlob(Digest digest) throws IOException {
        try (InputStream in = openBlob(digest)) {
            return in.readAllBytes();
        }
    }

    void moveIntoPlace(Path temp, Digest digest) throws IOException {
        Path target = blobPath(digest);
        if (Files.exists(target)) {
            Files.deleteIfExists(temp);
            return;
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException e) {
            Files.deleteIfExists(temp);
        }
        fsyncDirectory(blobs);
    }

    // ---------------------------------------------------------------- images

    /**
     * Held while blobs are written that no tag references yet (pack, pull, load): a concurrent {@code rmi} or
     * {@code system prune}, in this process or another, does not collect them meanwhile. Sessions nest, and
     * closing one twice releases it once.
     */
    public Session writeSession() {
        StoreLocks.Held held = locks.sharedWrite();
        return held::close;
    }

    /** A {@link #writeSession()}; closing it throws nothing checked, so try-with-resources needs no catch. */
    public interface Session extends AutoCloseable {
        @Override
        void close();
    }

    /** Writes a manifest and tags it; the manifest's config and layers must already be stored. */
    public StoredImage putImage(ImageRef ref, byte[] manifestBytes, String mediaType) throws IOException {
        ImageManifest manifest = ImageManifest.parse(manifestBytes, mediaType);
        String type = manifest.mediaType() != null ? manifest.mediaType()
                : mediaType != null ? mediaType : MediaTypes.OCI_MANIFEST;
        // Between writing the manifest and tagging it nothing refers to it: a collection must wait.
        try (StoreLocks.Held ignored = locks.sharedWrite()) {
            requireBlob(manifest.config().digest(), "config");
            for (Descriptor layer : manifest.layers()) {
                requireBlob(layer.digest(), "layer");
            }
            Digest digest = writeBlob(manifestBytes);
            Descriptor descriptor = Descriptor.of(type, digest, manifestBytes.length);
            tag(ref, descriptor);
            return new StoredImage(ref, descriptor, manifest, ImageConfig.parse(readBlob(manifest.config().digest())));
        }
    }

    private void requireBlob(Digest digest, String what) {
        if (!hasBlob(digest)) {
            throw new ImageFormatException("manifest refers to " + what + " " + digest + ", which is not in the store");
        }
    }

    /** Points {@code ref} at a manifest already in the store, replacing what the tag pointed at before. */
    public void tag(ImageRef ref, Descriptor manifest) throws IOException {
        if (ref.tag() == null) {
            throw new IllegalArgumentException("cannot tag '" + ref + "': a tag is needed (name:tag)");
        }
        if (ref.digest() != null && !ref.digest().equals(manifest.digest())) {
            throw new IllegalArgumentException("cannot tag '" + ref + "' with manifest " + manifest.digest()
                    + ": the reference names another digest");
        }
        // Collection follows only manifests and indexes: anything else tagged would lose its blobs to it.
        if (!MediaTypes.isManifest(manifest.mediaType()) && !MediaTypes.isIndex(manifest.mediaType())) {
            throw new IllegalArgumentException("cannot tag '" + ref + "': " + manifest.digest() + " is a "
                    + manifest.mediaType() + ", not an image manifest or index");
        }
        // The name in the index is name:tag; the digest is the descriptor's, so a pinned reference adds nothing.
        String name = ref.withTag(ref.tag()).toString();
        // The manifest may be unreferenced until this tag lands (its last tag removed meanwhile): keep
        // a collection from deleting it between the check and the index write.
        try (StoreLocks.Held session = locks.sharedWrite(); StoreLocks.Held ignored = locks.index()) {
            if (!hasBlob(manifest.digest())) {
                throw new ImageNotFoundException("manifest " + manifest.digest() + " is not in the store");
            }
            List<Descriptor> entries = new ArrayList<>();
            for (Descriptor d : readIndex()) {
                if (!name.equals(d.annotations().get(REF_NAME))) {
                    entries.add(d);
                }
            }
            entries.add(manifest.withoutAnnotations().withAnnotations(Map.of(REF_NAME, name)));
            entries.sort((a, b) -> a.annotations().getOrDefault(REF_NAME, "").compareTo(b.annotations().getOrDefault(REF_NAME, "")));
            writeIndex(entries);
        }
    }

    /** Removes a tag; returns false when there was none. Blobs are collected by {@link #collectGarbage}. */
    public boolean untag(ImageRef ref) throws IOException {
        String name = ref.toString();
        try (StoreLocks.Held ignored = locks.index()) {
            List<Descriptor> before = readIndex();
            List<Descriptor> after = before.stream().filter(d -> !name.equals(d.annotations().get(REF_NAME))).toList();
            if (after.size() == before.size()) {
                return false;
            }
            writeIndex(after);
            return true;
        }
    }

    /**
     * Every tagged image, in name order. Entries whose name is not a reference (another tool's index may hold
     * bare tags such as "V1") are left out here, but their blobs still count as used.
     */
    public List<TaggedImage> list() throws IOException {
        List<TaggedImage> out = new ArrayList<>();
        for (Descriptor d : readIndexUnlocked()) {
            String name = d.annotations().get(REF_NAME);
            if (name == null) {
                continue;
            }
            ImageRef ref;
            try {
                ref = ImageRef.parse(name);
            } catch (IllegalArgumentException e) {
                continue;
            }
            out.add(new TaggedImage(ref, d.withoutAnnotations()));
        }
        out.sort(java.util.Comparator.comparing(t -> t.ref().toString()));
        return out;
    }

    /** A tag in the store and the manifest it points at. */
    public record TaggedImage(ImageRef ref, Descriptor manifest) {
    }

    /**
     * Resolves what a user typed: a tag ({@code iris:1}, {@code iris} = {@code iris:latest}), a reference by
     * digest, or an image ID (manifest digest, or a unique prefix of at least 4 hex characters).
     */
    public StoredImage resolve(String text) throws IOException {
        return find(text).orElseThrow(() -> new ImageNotFoundException("no image '" + text + "' in the store"
                + " (see 'modelgate images'; 'modelgate pull " + text + "' fetches one from a registry)"));
    }

    public Optional<StoredImage> find(String text) throws IOException {
        List<TaggedImage> all = list();
        boolean explicitId = text.startsWith("sha256:");
        String id = explicitId ? text.substring(7) : text;
        boolean idLike = id.matches("[a-f0-9]{4,64}");
        if (!explicitId || !idLike) {
            // A name wins over an ID prefix, as in Docker: "cafe" finds the image tagged cafe:latest even when
            // some image ID starts with cafe.
            Optional<StoredImage> byName = findByReference(ImageRef.parse(text), all);
            if (byName.isPresent() || !idLike) {
                return byName;
            }
        }
        List<TaggedImage> byId = all.stream().filter(t -> t.manifest().digest().hex().startsWith(id)).toList();
        Set<Digest> distinct = new HashSet<>(byId.stream().map(t -> t.manifest().digest()).toList());
        if (distinct.size() > 1) {
            throw new IllegalArgumentException("image ID '" + text + "' is ambiguous: it matches " + distinct.size()
                    + " images (give more of the ID, or a name:tag)");
        }
        if (distinct.size() == 1) {
            TaggedImage t = byId.get(0);
            return Optional.of(load(t.ref(), t.manifest()));
        }
        return Optional.empty();
    }

    private Optional<StoredImage> findByReference(ImageRef ref, List<TaggedImage> all) throws IOException {
        for (TaggedImage t : all) {
            boolean match = ref.digest() != null
                    ? t.manifest().digest().equals(ref.digest()) && t.ref().name().equals(ref.name())
                    : t.ref().equals(ref);
            if (match) {
                return Optional.of(load(ref, t.manifest()));
            }
        }
        // A manifest pinned by digest is found even untagged; the size check keeps a layer out of memory.
        if (ref.digest() != null && hasBlob(ref.digest()) && blobSize(ref.digest()) <= MAX_MANIFEST_BYTES) {
            byte[] bytes = readBlob(ref.digest());
            ImageManifest manifest = ImageManifest.parse(bytes, null);
            String type = manifest.mediaType() != null ? manifest.mediaType() : MediaTypes.OCI_MANIFEST;
            return Optional.of(load(ref, Descriptor.of(type, ref.digest(), bytes.length)));
        }
        return Optional.empty();
    }

    private StoredImage load(ImageRef ref, Descriptor descriptor) throws IOException {
        byte[] bytes = readBlob(descriptor.digest());
        ImageManifest manifest = ImageManifest.parse(bytes, descriptor.mediaType());
        ImageConfig config = ImageConfig.parse(readBlob(manifest.config().digest()));
        return new StoredImage(ref, descriptor, manifest, config);
    }

    // ---------------------------------------------------------------- garbage

    /** What {@link #collectGarbage} removed, or {@link #usage} found. */
    public record Usage(int images, int blobs, long bytes, int unreferencedBlobs, long reclaimableBytes) {
    }

    /** Counts images and blobs, and how much is held by blobs no tag reaches. */
    public Usage usage() throws IOException {
        Set<Digest> live = reachable();
        int count = 0;
        int dead = 0;
        long bytes = 0;
        long reclaimable = 0;
        for (Path p : listBlobs()) {
            long size;
            try {
                size = Files.size(p);
            } catch (NoSuchFileException collected) {
                continue; // a collection in another process got there first
            }
            count++;
            bytes += size;
            if (!live.contains(Digest.ofHex(p.getFileName().toString()))) {
                dead++;
                reclaimable += size;
            }
        }
        return new Usage(list().size(), count, bytes, dead, reclaimable);
    }

    /**
     * Deletes every blob no tag reaches, and abandoned temporary files.
     * @param wait wait for writers to finish; when false and one is busy, nothing is collected and null returned
     * @throws IllegalStateException when waiting from inside this thread's own {@link #writeSession()}
     */
    public Usage collectGarbage(boolean wait) throws IOException {
        try (StoreLocks.Held lock = locks.exclusiveCollect(wait)) {
            if (lock == null) {
                return null;
            }
            Set<Digest> live = reachable();
            int removed = 0;
            long freed = 0;
            for (Path p : listBlobs()) {
                if (!live.contains(Digest.ofHex(p.getFileName().toString()))) {
                    freed += Files.size(p);
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
            try (Stream<Path> temps = Files.list(ingest)) {
                for (Path t : temps.toList()) {
                    Files.deleteIfExists(t);
                }
            }
            return new Usage(list().size(), removed, freed, removed, freed);
        }
    }

    private List<Path> listBlobs() throws IOException {
        try (Stream<Path> s = Files.list(blobs)) {
            return s.filter(p -> p.getFileName().toString().matches("[a-f0-9]{64}")).sorted().toList();
        }
    }

    private Set<Digest> reachable() throws IOException {
        Set<Digest> live = new HashSet<>();
        for (Descriptor d : readIndexUnlocked()) {
            markReachable(d, live);
        }
        return live;
    }

    private void markReachable(Descriptor d, Set<Digest> live) throws IOException {
        if (!live.add(d.digest()) || !hasBlob(d.digest())) {
            return;
        }
        if (MediaTypes.isIndex(d.mediaType())) {
            for (Descriptor child : ImageIndex.parse(readBlob(d.digest())).manifests()) {
                markReachable(child, live);
            }
        } else if (MediaTypes.isManifest(d.mediaType())) {
            ImageManifest m = ImageManifest.parse(readBlob(d.digest()), d.mediaType());
            live.add(m.config().digest());
            m.layers().forEach(l -> live.add(l.digest()));
        }
    }

    // ---------------------------------------------------------------- index.json

    private List<Descriptor> readIndexUnlocked() throws IOException {
        try (StoreLocks.Held ignored = locks.index()) {
            return readIndex();
        }
    }

    private List<Descriptor> readIndex() throws IOException {
        Path index = layout.resolve("index.json");
        if (!Files.exists(index)) {
            return List.of();
        }
        return ImageIndex.parse(Files.readAllBytes(index)).manifests();
    }

    private void writeIndex(List<Descriptor> entries) throws IOException {
        ImageIndex index = new ImageIndex(2, MediaTypes.OCI_INDEX, entries, Map.of());
        writeAtomically(layout.resolve("index.json"), Json.write(index));
    }

    private void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(bytes));
            ch.force(true);
        }
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        fsyncDirectory(target.getParent());
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // Some file systems refuse fsync on a directory; the rename itself is still atomic.
        }
    }

    /**
     * Hashes as it reads and fails once the whole file has been read if the content is not the expected blob.
     * The check runs when the last byte of the file is read, not only at EOF, so a reader that takes exactly
     * the blob's size and stops (a tar reader, an upload of known length) is protected too; once failed, every
     * further read fails.
     */
    private static final class VerifyingInputStream extends FilterInputStream {
        private final Digest expected;
        private final long length;
        private final MessageDigest sha = Digest.newSha256();
        private long count;
        private boolean checked;
        private DigestMismatchException failure;

        VerifyingInputStream(InputStream in, Digest expected, long length) {
            super(in);
            this.expected = expected;
            this.length = length;
        }

        @Override
        public int read() throws IOException {
            failIfCorrupt();
            int b = super.read();
            if (b < 0) {
                check();
            } else {
                sha.update((byte) b);
                consumed(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            failIfCorrupt();
            int n = super.read(b, off, len);
            if (n < 0) {
                check();
            } else {
                sha.update(b, off, n);
                consumed(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            return Streams.skipByReading(this, n);
        }

        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public synchronized void mark(int readlimit) {
        }

        @Override
        public synchronized void reset() throws IOException {
            throw new IOException("mark/reset is not supported on a verified blob stream");
        }

        private void consumed(int n) {
            count += n;
            if (count > length) {
                failure = new DigestMismatchException("blob " + expected + " in the store changed while it was read (it grew past "
                        + length + " bytes)");
            }
            if (count >= length) {
                check();
            }
        }

        private void failIfCorrupt() {
            if (failure != null) {
                throw failure;
            }
        }

        private void check() {
            if (!checked) {
                checked = true;
                Digest actual = Digest.fromHash(sha.digest());
                if (!actual.equals(expected)) {
                    failure = new DigestMismatchException("blob " + expected + " in the store is corrupt (its content hashes to "
                            + actual + "); remove the image and pull or pack it again");
                }
            }
            failIfCorrupt();
        }
    }
}
