package io.modelgate.packager.archive;

import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Image archives over one store: {@link #save} writes the tar both {@code docker load} and OCI tools read,
 * {@link #load} reads OCI layout and docker-archive tars (gzip-compressed or not), {@link #importRootfs} turns a
 * root filesystem tar into a one-layer image, as {@code docker import} does.
 */
public final class Archives {
    private final ImageStore store;

    private Archives(ImageStore store) {
        this.store = store;
    }

    public static Archives of(ImageStore store) {
        return new Archives(store);
    }

    /**
     * Writes the named images (tags, references by digest or image IDs) as one tar: an OCI image layout plus a
     * docker-archive manifest.json over the same blobs, as Docker 25+ writes. The same images give the same
     * bytes. Blobs are streamed from the store and their digests checked on the way; nothing is written when a
     * name does not resolve.
     */
    public void save(List<String> refs, OutputStream out) throws IOException {
        if (refs.isEmpty()) {
            throw new IllegalArgumentException("name at least one image to save");
        }
        List<StoredImage> images = new ArrayList<>();
        for (String ref : refs) {
            images.add(store.resolve(ref));
        }
        new ArchiveWriter(store).write(images, out);
    }

    /**
     * Reads an OCI layout tar or a docker-archive (the tar may be gzip- or zstd-compressed) into the store and tags
     * its images. Every digest is checked before any tag is written; on error nothing is tagged.
     * @param source what the stream is (a file name, "stdin"), for error messages
     */
    public List<LoadedImage> load(InputStream in, String source) throws IOException {
        try (Session ignored = session()) {
            return new ArchiveReader(store, source).read(in);
        }
    }

    /**
     * Turns a root filesystem tar (gzip- or zstd-compressed or not) into a one-layer image tagged {@code ref}.
     * @param source what the stream is (a file name, "stdin"), for error messages
     */
    public StoredImage importRootfs(InputStream rootfsTar, String source, ImageRef ref, ImportOptions options) throws IOException {
        try (Session ignored = session()) {
            return new RootfsImporter(store).importRootfs(rootfsTar, source, ref, options);
        }
    }

    /** The store's write session, held while blobs exist that no tag references yet. */
    private interface Session extends AutoCloseable {
        @Override
        void close();
    }

    private Session session() {
        AutoCloseable held = store.writeSession();
        return () -> {
            try {
                held.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (Exception e) {
                throw new IllegalStateException("cannot release the store's write session", e);
            }
        };
    }
}
