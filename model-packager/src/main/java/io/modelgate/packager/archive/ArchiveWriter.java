package io.modelgate.packager.archive;

import io.modelgate.packager.io.Streams;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes the archive Docker 25+ {@code docker save} writes: an OCI image layout (oci-layout, index.json,
 * blobs/sha256/…) plus a docker-archive {@code manifest.json} whose paths point at the same blobs, so that both
 * {@code docker load} (either image store) and OCI tools read it. Entries are sorted and carry fixed metadata,
 * so the same images always give the same bytes.
 */
final class ArchiveWriter {
    private static final FileTime EPOCH = FileTime.fromMillis(0);
    private static final String OCI_LAYOUT = "{\"imageLayoutVersion\":\"1.0.0\"}";

    private final ImageStore store;

    ArchiveWriter(ImageStore store) {
        this.store = store;
    }

    void write(List<StoredImage> images, OutputStream out) throws IOException {
        List<Descriptor> index = new ArrayList<>();
        Map<Digest, DockerManifestItem> dockerItems = new LinkedHashMap<>();
        Map<Digest, Long> blobs = new TreeMap<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (StoredImage image : images) {
            Descriptor manifest = image.manifestDescriptor().withoutAnnotations();
            if (!seen.add(manifest.digest() + " " + (image.ref().tag() != null ? image.ref() : ""))) {
                continue; // named twice on the command line
            }
            addBlob(blobs, manifest);
            addBlob(blobs, image.manifest().config());
            image.manifest().layers().forEach(l -> addBlob(blobs, l));

            ImageRef tagged = image.ref().tag() != null ? image.ref() : null;
            if (tagged != null) {
                // Docker's convention: ref.name holds the tag alone, the full name goes to containerd's annotation.
                index.add(manifest.withAnnotations(Map.of(
                        ImageStore.IMAGE_NAME, Names.qualified(tagged),
                        ImageStore.REF_NAME, tagged.tag())));
            } else {
                index.add(manifest);
            }
            DockerManifestItem item = dockerItems.get(manifest.digest());
            List<String> tags = new ArrayList<>(item == null ? List.of() : item.repoTags());
            if (tagged != null) {
                String familiar = Names.familiar(tagged.withTag(tagged.tag())).toString();
                if (!tags.contains(familiar)) {
                    tags.add(familiar);
                }
            }
            dockerItems.put(manifest.digest(), new DockerManifestItem(path(image.manifest().config().digest()), tags,
                    image.manifest().layers().stream().map(l -> path(l.digest())).toList()));
        }

        TarArchiveOutputStream tar = new TarArchiveOutputStream(new BufferedOutputStream(Streams.unclosable(out), 1 << 16));
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        directory(tar, "blobs/");
        directory(tar, "blobs/sha256/");
        for (Map.Entry<Digest, Long> blob : blobs.entrySet()) {
            copyBlob(tar, blob.getKey(), blob.getValue());
        }
        file(tar, "index.json", Json.write(ImageIndex.of(index)));
        file(tar, "manifest.json", Json.write(new ArrayList<>(dockerItems.values())));
        file(tar, "oci-layout", OCI_LAYOUT.getBytes(StandardCharsets.UTF_8));
        tar.close(); // finishes the archive and flushes its last block; the caller's stream stays open
    }

    static String path(Digest digest) {
        return "blobs/" + digest.algorithm() + "/" + digest.hex();
    }

    private static void addBlob(Map<Digest, Long> blobs, Descriptor d) {
        blobs.putIfAbsent(d.digest(), d.size());
    }

    /** Streams a blob from the store; the store's reader checks its digest as it reaches the end. */
    private void copyBlob(TarArchiveOutputStream tar, Digest digest, long expectedSize) throws IOException {
        long size = store.blobSize(digest);
        if (size != expectedSize) {
            throw new io.modelgate.packager.store.DigestMismatchException("blob " + digest + " in the store is " + size
                    + " bytes but its descriptor says " + expectedSize + "; the store is corrupt (remove the image and pack or pull it again)");
        }
        TarArchiveEntry entry = entry(path(digest), TarConstants.LF_NORMAL, 0100644);
        entry.setSize(size);
        tar.putArchiveEntry(entry);
        try (InputStream in = store.openBlob(digest)) {
            in.transferTo(tar);
        }
        tar.closeArchiveEntry();
    }

    private static void file(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry entry = entry(name, TarConstants.LF_NORMAL, 0100644);
        entry.setSize(content.length);
        tar.putArchiveEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static void directory(TarArchiveOutputStream tar, String name) throws IOException {
        tar.putArchiveEntry(entry(name, TarConstants.LF_DIR, 040755));
        tar.closeArchiveEntry();
    }

    private static TarArchiveEntry entry(String name, byte type, int mode) {
        TarArchiveEntry entry = new TarArchiveEntry(name, type);
        entry.setMode(mode);
        entry.setIds(0, 0);
        entry.setUserName("");
        entry.setGroupName("");
        entry.setLastModifiedTime(EPOCH);
        return entry;
    }

}
