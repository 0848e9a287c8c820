package io.modelgate.packager.archive;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.store.BlobWriter;
import io.modelgate.packager.store.DigestMismatchException;
import io.modelgate.packager.store.ImageStore;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an OCI image layout tar (with or without a docker manifest.json) or a docker-archive (manifest.json,
 * config, layer files, also the legacy {@code <id>/layer.tar} form) into the store.
 * <p>
 * One pass over the tar: {@code blobs/sha256/<hex>} files are streamed into the store and refused unless their
 * content hashes to their name; other layer files are stored under the digest of their content; JSON documents
 * are kept in memory. Only after every manifest, config and layer has been found and checked are tags written,
 * so a bad archive leaves no tag behind — at most untagged blobs, which {@code system prune} removes.
 * <p>
 * Uncompressed docker-archive layers are stored as they are (application/vnd.oci.image.layer.v1.tar), as
 * {@code docker load} does: the blob digest is then the diff_id itself, so the check against the config costs
 * nothing, loading is I/O-bound rather than spending minutes of CPU gzipping model weights that barely compress,
 * and the runtime unpacks them without a decompressor.
 */
final class ArchiveReader {
    /** Larger "JSON" entries are refused rather than held in memory. */
    private static final int MAX_DOCUMENT = 32 << 20;
    private static final java.util.regex.Pattern BLOB_PATH = java.util.regex.Pattern.compile("blobs/sha256/([a-f0-9]{64})");

    private final ImageStore store;
    private final String source;

    private final Map<String, byte[]> documents = new HashMap<>();
    private final Map<String, StoredFile> files = new HashMap<>();
    private final Map<String, String> links = new HashMap<>();

    /** A file of the archive, now a blob in the store. */
    private record StoredFile(Digest digest, long size, Compression compression) {
    }

    /** An image found and checked, waiting to be tagged. */
    private record Found(List<ImageRef> names, byte[] manifestBytes, String mediaType) {
    }

    ArchiveReader(ImageStore store, String source) {
        this.store = store;
        this.source = source;
    }

    List<LoadedImage> read(InputStream in) throws IOException {
        scan(in);
        List<Found> found;
        if (documents.containsKey("index.json") && !ociIndex().manifests().isEmpty()) {
            found = fromOciLayout();
        } else if (documents.containsKey("manifest.json")) {
            found = fromDockerArchive();
        } else {
            throw new ImageFormatException(source + " is neither an OCI image layout (no index.json) nor a docker archive"
                    + " (no manifest.json); it holds " + (documents.size() + files.size() + links.size()) + " files");
        }
        List<LoadedImage> loaded = new ArrayList<>();
        for (Found image : found) {
            Digest digest = store.writeBlob(image.manifestBytes());
            Descriptor descriptor = Descriptor.of(image.mediaType(), digest, image.manifestBytes().length);
            if (image.names().isEmpty()) {
                loaded.add(new LoadedImage(null, descriptor));
            }
            for (ImageRef name : image.names()) {
                store.putImage(name, image.manifestBytes(), image.mediaType());
                loaded.add(new LoadedImage(name, descriptor));
            }
        }
        return loaded;
    }

    // ------------------------------------------------------------------ the one pass over the tar

    private void scan(InputStream raw) throws IOException {
        TarStream tar = new TarStream(Compression.decompressAuto(raw), source);
        TarArchiveEntry entry;
        while ((entry = tar.next()) != null) {
            String name = normalize(entry.getName());
            try {
                if (entry.isSymbolicLink()) {
                    links.put(name, resolveRelative(name, entry.getLinkName()));
                } else if (entry.isLink()) {
                    links.put(name, normalize(entry.getLinkName()));
                } else if (entry.isFile()) {
                    readFile(name, tar, entry.getSize());
                }
            } catch (IOException e) {
                throw tar.entryError(name, e);
            }
        }
    }

    private void readFile(String name, InputStream tar, long size) throws IOException {
        java.util.regex.Matcher blob = BLOB_PATH.matcher(name);
        if (blob.matches()) {
            Digest expected = Digest.ofHex(blob.group(1));
            files.put(name, storeBlob(name, tar, expected, size));
        } else if (isDocument(name)) {
            if (size > MAX_DOCUMENT) {
                throw new ImageFormatException(source + ": entry " + name + " is " + size + " bytes, too large for a JSON document");
            }
            documents.put(name, tar.readAllBytes());
        } else {
            files.put(name, storeBlob(name, tar, null, size));
        }
    }

    /** Streams an entry into the store (or only hashes it when the store has that blob already). */
    private StoredFile storeBlob(String name, InputStream tar, Digest expected, long size) throws IOException {
        BufferedInputStream in = new BufferedInputStream(tar, 1 << 16);
        in.mark(4);
        byte[] head = new byte[4];
        int n = in.readNBytes(head, 0, 4);
        in.reset();
        Compression compression = Compression.sniff(head, n);
        if (expected != null && store.hasBlob(expected)) {
            MessageDigest sha = Digest.newSha256();
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
                sha.update(buf, 0, r);
            }
            Digest actual = Digest.fromHash(sha.digest());
            if (!actual.equals(expected)) {
                throw mismatch(name, "its content hashes to " + actual);
            }
            return new StoredFile(expected, size, compression);
        }
        try (BlobWriter writer = store.newBlob()) {
            in.transferTo(writer);
            try {
                return new StoredFile(writer.commit(expected), size, compression);
            } catch (DigestMismatchException e) {
                throw mismatch(name, e.getMessage());
            }
        }
    }

    private ImageFormatException mismatch(String name, String detail) {
        return new ImageFormatException(source + ": digest mismatch in entry " + name + " (" + detail
                + "); the archive is corrupt or was tampered with");
    }

    private static boolean isDocument(String name) {
        return name.equals("index.json") || name.equals("manifest.json") || name.equals("oci-layout")
                || name.equals("repositories") || name.endsWith(".json") || name.endsWith("/json") || name.endsWith("/VERSION");
    }

    // ------------------------------------------------------------------ OCI image layout

    private ImageIndex ociIndex() {
        try {
            return ImageIndex.parse(documents.get("index.json"));
        } catch (ImageFormatException e) {
            throw new ImageFormatException(source + ": index.json: " + e.getMessage(), e);
        }
    }

    private List<Found> fromOciLayout() throws IOException {
        Map<Digest, List<ImageRef>> dockerTags = dockerTagsByConfig();
        List<Found> found = new ArrayList<>();
        Map<Digest, Found> byManifest = new LinkedHashMap<>();
        for (Descriptor entry : ociIndex().manifests()) {
            Descriptor target = entry;
            String where = "index.json entry " + entry.digest();
            if (MediaTypes.isIndex(entry.mediaType())) {
                ImageIndex nested = ImageIndex.parse(blob(entry, where + " (image index)"));
                target = nested.forPlatform(Descriptor.Platform.host());
            } else if (!MediaTypes.isManifest(entry.mediaType())) {
                throw new ImageFormatException(source + ": " + where + " has unknown media type '" + entry.mediaType()
                        + "' (expected an image manifest or index)");
            }
            where = "manifest " + target.digest();
            byte[] manifestBytes = blob(target, where);
            ImageManifest manifest;
            try {
                manifest = ImageManifest.parse(manifestBytes, target.mediaType());
            } catch (ImageFormatException e) {
                throw new ImageFormatException(source + ": " + where + ": " + e.getMessage(), e);
            }
            ImageConfig config = config(manifest, where);
            for (int i = 0; i < manifest.layers().size(); i++) {
                blobFile(manifest.layers().get(i), where + " layer " + (i + 1));
            }
            if (config.diffIds().size() != manifest.layers().size()) {
                throw new ImageFormatException(source + ": " + where + " has " + manifest.layers().size()
                        + " layers but its config lists " + config.diffIds().size() + " diff_ids");
            }
            List<ImageRef> names = Names.fromAnnotations(entry.annotations()).map(List::of)
                    .orElse(dockerTags.getOrDefault(manifest.config().digest(), List.of()));
            String type = manifest.mediaType() != null ? manifest.mediaType() : target.mediaType();
            Found previous = byManifest.get(target.digest());
            List<ImageRef> all = new ArrayList<>(previous == null ? List.of() : previous.names());
            names.stream().filter(n -> !all.contains(n)).forEach(all::add);
            byManifest.put(target.digest(), new Found(all, manifestBytes, type));
        }
        found.addAll(byManifest.values());
        return found;
    }

    private ImageConfig config(ImageManifest manifest, String where) throws IOException {
        Descriptor c = manifest.config();
        if (!MediaTypes.CONFIGS.contains(c.mediaType())) {
            throw new ImageFormatException(source + ": " + where + " has a config of unknown media type '" + c.mediaType()
                    + "' (expected " + String.join(" or ", MediaTypes.CONFIGS.stream().sorted().toList()) + "); it is not a container image");
        }
        byte[] bytes = blob(c, where + " config");
        try {
            return ImageConfig.parse(bytes);
        } catch (ImageFormatException e) {
            throw new ImageFormatException(source + ": " + where + " config " + c.digest() + ": " + e.getMessage(), e);
        }
    }

    /** The tags manifest.json gives each config, for OCI index entries that carry no name. */
    private Map<Digest, List<ImageRef>> dockerTagsByConfig() {
        Map<Digest, List<ImageRef>> tags = new HashMap<>();
        if (!documents.containsKey("manifest.json")) {
            return tags;
        }
        for (DockerManifestItem item : dockerManifest()) {
            if (item.config() == null) {
                continue;
            }
            java.util.regex.Matcher m = BLOB_PATH.matcher(resolve(normalize(item.config())));
            if (m.matches()) {
                tags.computeIfAbsent(Digest.ofHex(m.group(1)), d -> new ArrayList<>()).addAll(repoTags(item));
            }
        }
        return tags;
    }

    private byte[] blob(Descriptor d, String what) throws IOException {
        StoredFile file = blobFile(d, what);
        return store.readBlob(file.digest());
    }

    private StoredFile blobFile(Descriptor d, String what) {
        String path = ArchiveWriter.path(d.digest());
        StoredFile file = files.get(resolve(path));
        if (file == null) {
            throw new ImageFormatException(source + " is incomplete: " + what + " is missing (no entry " + path + ")");
        }
        if (file.size() != d.size()) {
            throw new ImageFormatException(source + ": entry " + path + " is " + file.size() + " bytes but " + what
                    + " has size " + d.size());
        }
        return file;
    }

    // ------------------------------------------------------------------ docker-archive

    private List<DockerManifestItem> dockerManifest() {
        try {
            List<DockerManifestItem> items = Json.mapper().readValue(documents.get("manifest.json"), new TypeReference<List<DockerManifestItem>>() {
            });
            if (items == null) {
                throw new ImageFormatException(source + ": manifest.json is empty");
            }
            return items;
        } catch (JacksonException e) {
            throw new ImageFormatException(source + ": malformed manifest.json: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new ImageFormatException(source + ": unreadable manifest.json: " + e.getMessage(), e);
        }
    }

    private List<ImageRef> repoTags(DockerManifestItem item) {
        return item.repoTags().stream().map(t -> Names.familiar(Names.parse(t, "manifest.json RepoTags"))).toList();
    }

    private List<Found> fromDockerArchive() throws IOException {
        List<Found> found = new ArrayList<>();
        List<DockerManifestItem> items = dockerManifest();
        if (items.isEmpty()) {
            throw new ImageFormatException(source + ": manifest.json lists no images");
        }
        for (DockerManifestItem item : items) {
            if (item.config() == null) {
                throw new ImageFormatException(source + ": a manifest.json entry has no Config");
            }
            String configPath = resolve(normalize(item.config()));
            byte[] configBytes = document(configPath);
            if (configBytes == null) {
                throw new ImageFormatException(source + " is incomplete: manifest.json names config " + item.config()
                        + ", which is not in the archive");
            }
            ImageConfig config;
            try {
                config = ImageConfig.parse(configBytes);
            } catch (ImageFormatException e) {
                throw new ImageFormatException(source + ": config " + item.config() + ": " + e.getMessage(), e);
            }
            if (config.diffIds().size() != item.layers().size()) {
                throw new ImageFormatException(source + ": manifest.json lists " + item.layers().size() + " layers for "
                        + item.config() + " but the config lists " + config.diffIds().size() + " diff_ids");
            }
            Digest configDigest = store.writeBlob(configBytes);
            List<Descriptor> layers = new ArrayList<>();
            for (int i = 0; i < item.layers().size(); i++) {
                String layerPath = item.layers().get(i);
                StoredFile file = files.get(resolve(normalize(layerPath)));
                if (file == null) {
                    throw new ImageFormatException(source + " is incomplete: manifest.json names layer " + layerPath
                            + ", which is not in the archive");
                }
                Digest diffId = file.compression() == Compression.NONE ? file.digest() : uncompressedDigest(file);
                Digest expected = config.diffIds().get(i);
                if (!diffId.equals(expected)) {
                    throw new ImageFormatException(source + ": layer " + layerPath + " does not match the config: its tar hashes to "
                            + diffId + " but diff_ids[" + i + "] is " + expected + "; the archive is corrupt or was tampered with");
                }
                layers.add(Descriptor.of(file.compression().mediaType(), file.digest(), file.size()));
            }
            Descriptor configDescriptor = Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length);
            byte[] manifestBytes = Json.write(ImageManifest.oci(configDescriptor, layers));
            found.add(new Found(repoTags(item), manifestBytes, MediaTypes.OCI_MANIFEST));
        }
        return found;
    }

    private Digest uncompressedDigest(StoredFile file) throws IOException {
        MessageDigest sha = Digest.newSha256();
        try (InputStream in = file.compression().decompress(store.openBlob(file.digest()))) {
            in.transferTo(new OutputStream() {
                @Override
                public void write(int b) {
                    sha.update((byte) b);
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    sha.update(b, off, len);
                }
            });
        }
        return Digest.fromHash(sha.digest());
    }

    private byte[] document(String path) throws IOException {
        byte[] bytes = documents.get(path);
        if (bytes != null) {
            return bytes;
        }
        StoredFile file = files.get(path);
        return file == null ? null : store.readBlob(file.digest());
    }

    // ------------------------------------------------------------------ paths inside the tar

    /** Follows hard and symbolic links between entries (legacy docker archives link repeated layers). */
    private String resolve(String path) {
        String p = path;
        Set<String> seen = new java.util.HashSet<>();
        while (links.containsKey(p)) {
            if (!seen.add(p)) {
                throw new ImageFormatException(source + ": entry " + path + " is a link loop");
            }
            p = links.get(p);
        }
        return p;
    }

    private static String resolveRelative(String linkName, String target) {
        if (target.startsWith("/")) {
            return normalize(target);
        }
        int slash = linkName.lastIndexOf('/');
        return normalize(slash < 0 ? target : linkName.substring(0, slash + 1) + target);
    }

    /** "./a//b/../c" → "a/c"; a path that climbs out of the archive keeps its ".." and so matches nothing. */
    static String normalize(String name) {
        Deque<String> parts = new ArrayDeque<>();
        for (String part : name.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..") && !parts.isEmpty() && !parts.peekLast().equals("..")) {
                parts.removeLast();
            } else {
                parts.addLast(part);
            }
        }
        return String.join("/", parts);
    }
}
