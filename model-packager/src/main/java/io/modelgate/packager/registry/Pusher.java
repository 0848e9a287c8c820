package io.modelgate.packager.registry;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One push (distribution-spec "Push"): every blob is checked with HEAD first and skipped if present, mounted from
 * another repository of the registry when one is known to hold it, otherwise uploaded — in one PUT, or in PATCH
 * chunks above the threshold. The manifest goes last, so the tag never points at missing blobs.
 */
final class Pusher {
    private final RegistryCaller caller;
    private final Routes routes;
    private final BlobLocations locations;
    private final long chunkThreshold;
    private final long chunkSize;
    private final ProgressListener progress;

    Pusher(RegistryCaller caller, Routes routes, BlobLocations locations, long chunkThreshold, long chunkSize, ProgressListener progress) {
        this.caller = caller;
        this.routes = routes;
        this.locations = locations;
        this.chunkThreshold = chunkThreshold;
        this.chunkSize = chunkSize;
        this.progress = progress;
    }

    PushResult push(ImageStore store, StoredImage image, ImageRef target) throws IOException {
        String repository = target.remoteRepository();
        if (target.digest() != null && !target.digest().equals(image.digest())) {
            throw new RegistryException("the image's manifest is " + image.digest() + ", not the " + target.digest() + " the reference names");
        }
        List<Descriptor> blobs = new ArrayList<>(image.manifest().layers());
        blobs.add(image.manifest().config());
        Map<Digest, BlobProgress.Stage> outcome = new LinkedHashMap<>();
        for (Descriptor blob : blobs) {
            if (!outcome.containsKey(blob.digest())) {
                outcome.put(blob.digest(), pushBlob(store, repository, blob));
            }
        }
        byte[] manifest = store.readBlob(image.digest());
        caller.call(new PutManifest(routes, repository, target.reference(), manifest, image.manifestDescriptor().mediaType()));
        return new PushResult(target, image.digest(), outcome);
    }

    private BlobProgress.Stage pushBlob(ImageStore store, String repository, Descriptor blob) throws IOException {
        Digest digest = blob.digest();
        long size = store.blobSize(digest);
        if (caller.call(new CheckBlob(routes, repository, digest))) {
            return report(digest, size, size, BlobProgress.Stage.EXISTS);
        }
        URI session = null;
        for (String from : locations.repositoriesWith(digest, routes.registry(), repository)) {
            MountBlob.Outcome mount;
            try {
                mount = caller.call(new MountBlob(routes, repository, digest, from));
            } catch (RegistryException refused) {
                if (refused.status() == 0) {
                    throw refused; // no answer at all: the upload would not get one either
                }
                continue; // e.g. no pull access to the other repository: try the next, or upload
            }
            if (mount.mounted()) {
                locations.remember(digest, routes.registry(), repository);
                return report(digest, size, size, BlobProgress.Stage.MOUNTED);
            }
            session = mount.uploadLocation();
            break;
        }
        if (session == null) {
            session = caller.call(new StartUpload(routes, repository, digest));
        }
        report(digest, size, 0, BlobProgress.Stage.PUSHING);
        Path file = store.blobPath(digest);
        if (size > chunkThreshold) {
            uploadInChunks(session, digest, file, size);
        } else {
            caller.call(new PutBlob(session, digest, file, size, at -> report(digest, size, at, BlobProgress.Stage.PUSHING)));
        }
        locations.remember(digest, routes.registry(), repository);
        return report(digest, size, size, BlobProgress.Stage.PUSHED);
    }

    private void uploadInChunks(URI session, Digest digest, Path file, long size) throws IOException {
        URI location = session;
        long offset = 0;
        while (offset < size) {
            long length = Math.min(chunkSize, size - offset);
            PatchChunk.Accepted accepted = caller.call(new PatchChunk(location, digest, file, offset, length,
                    at -> report(digest, size, at, BlobProgress.Stage.PUSHING)));
            offset += length;
            if (accepted.received() >= 0 && accepted.received() != offset) {
                throw new RegistryException("registry holds " + accepted.received() + " bytes of blob " + digest
                        + " after a chunk that ended at byte " + offset + "; the upload is out of step");
            }
            location = accepted.next();
        }
        caller.call(new FinishUpload(location, digest));
    }

    private BlobProgress.Stage report(Digest digest, long size, long transferred, BlobProgress.Stage stage) {
        progress.onProgress(new BlobProgress(digest, size, transferred, stage));
        return stage;
    }
}
