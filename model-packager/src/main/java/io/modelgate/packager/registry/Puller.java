package io.modelgate.packager.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.store.BlobWriter;
import io.modelgate.packager.store.DigestMismatchException;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One pull (distribution-spec "Pull"): the manifest (for an index, the one for linux and this machine's
 * architecture), then every blob the store lacks. Everything is verified against its digest before it counts,
 * and the tag is written last, under the store's write session, so a failed pull leaves no image behind.
 */
final class Puller {
    private final RegistryCaller caller;
    private final Routes routes;
    private final BlobLocations locations;
    private final ProgressListener progress;

    Puller(RegistryCaller caller, Routes routes, BlobLocations locations, ProgressListener progress) {
        this.caller = caller;
        this.routes = routes;
        this.locations = locations;
        this.progress = progress;
    }

    @SuppressWarnings("try") // the write session is held, not used
    PullResult pull(ImageStore store, ImageRef ref) throws IOException {
        String repository = ref.remoteRepository();
        GetManifest.Fetched top = fetchVerified(repository, ref.reference(), ref.digest());
        Digest topDigest = Digest.sha256(top.bytes());
        String mediaType = mediaTypeOf(top);
        GetManifest.Fetched chosen = top;
        if (MediaTypes.isIndex(mediaType)) {
            Descriptor platform = ImageIndex.parse(top.bytes()).forPlatform(Descriptor.Platform.host());
            chosen = fetchVerified(repository, platform.digest().toString(), platform.digest());
            mediaType = mediaTypeOf(chosen);
            if (!MediaTypes.isManifest(mediaType)) {
                throw new ImageFormatException("the index entry for " + Descriptor.Platform.host().os() + "/"
                        + Descriptor.Platform.host().architecture() + " is a " + mediaType + ", not an image manifest");
            }
        }
        ImageManifest manifest = ImageManifest.parse(chosen.bytes(), mediaType);
        List<Descriptor> blobs = new ArrayList<>();
        blobs.add(manifest.config());
        blobs.addAll(manifest.layers());
        // By tag: the same tag in the store. By digest alone: the store keeps images by tag, so it gets one that
        // names the digest, and 'name@sha256:…' finds it.
        ImageRef local = ref.tag() != null ? ref.withTag(ref.tag()) : ref.withTag("sha256-" + topDigest.hex());
        Map<Digest, BlobProgress.Stage> outcome = new LinkedHashMap<>();
        try (AutoCloseable session = store.writeSession()) {
            for (Descriptor blob : blobs) {
                if (!outcome.containsKey(blob.digest())) {
                    outcome.put(blob.digest(), pullBlob(store, repository, blob));
                }
            }
            StoredImage image = store.putImage(local, chosen.bytes(), mediaType);
            for (Descriptor blob : blobs) {
                locations.remember(blob.digest(), routes.registry(), repository);
            }
            return new PullResult(image, outcome);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("cannot release the store's write session: " + e.getMessage(), e);
        }
    }

    /** Fetches a manifest and checks its bytes against the digest asked for, or else the one the registry vouched for. */
    private GetManifest.Fetched fetchVerified(String repository, String reference, Digest asked) throws IOException {
        GetManifest.Fetched fetched = caller.call(new GetManifest(routes, repository, reference));
        Digest actual = Digest.sha256(fetched.bytes());
        Digest expected = asked != null ? asked : fetched.headerDigest().orElse(null);
        if (expected != null && !expected.equals(actual)) {
            throw new RegistryException("registry sent a manifest for " + repository + (asked != null ? "@" : ":") + reference
                    + " whose content hashes to " + actual + ", not " + expected + "; nothing was stored");
        }
        return fetched;
    }

    private BlobProgress.Stage pullBlob(ImageStore store, String repository, Descriptor blob) throws IOException {
        Digest digest = blob.digest();
        if (store.hasBlob(digest)) {
            progress.onProgress(new BlobProgress(digest, blob.size(), blob.size(), BlobProgress.Stage.EXISTS));
            return BlobProgress.Stage.EXISTS;
        }
        progress.onProgress(new BlobProgress(digest, blob.size(), 0, BlobProgress.Stage.PULLING));
        try (BlobWriter writer = store.newBlob()) {
            caller.call(new GetBlob(routes, repository, digest, blob.size(), writer,
                    at -> progress.onProgress(new BlobProgress(digest, blob.size(), at, BlobProgress.Stage.PULLING))));
            try {
                writer.commit(digest);
            } catch (DigestMismatchException e) {
                throw new RegistryException("registry sent blob " + digest + " with content that hashes to something else ("
                        + e.getMessage() + "); nothing was tagged", e);
            }
        }
        progress.onProgress(new BlobProgress(digest, blob.size(), blob.size(), BlobProgress.Stage.PULLED));
        return BlobProgress.Stage.PULLED;
    }

    /**
     * The media type of a manifest document: its own mediaType field (part of what is hashed) first, then the
     * Content-Type, then its shape. Docker schema 1 is refused by name rather than misread.
     */
    static String mediaTypeOf(GetManifest.Fetched fetched) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(fetched.bytes());
        } catch (IOException e) {
            throw new ImageFormatException("the registry's manifest is not JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new ImageFormatException("the registry's manifest is not a JSON object");
        }
        if (root.path("schemaVersion").asInt() == 1 || (fetched.contentType() != null && fetched.contentType().startsWith("application/vnd.docker.distribution.manifest.v1"))) {
            throw new ImageFormatException("the image has a Docker schema 1 manifest, which modelgate does not read;"
                    + " re-push it with a current Docker or skopeo to convert it");
        }
        String declared = root.path("mediaType").asText("");
        if (!declared.isEmpty()) {
            return declared;
        }
        String type = fetched.contentType();
        if (type != null && (MediaTypes.isManifest(type) || MediaTypes.isIndex(type))) {
            return type;
        }
        return root.has("manifests") ? MediaTypes.OCI_INDEX : MediaTypes.OCI_MANIFEST;
    }
}
