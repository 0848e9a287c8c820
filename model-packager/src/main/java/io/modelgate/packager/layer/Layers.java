package io.modelgate.packager.layer;

import io.modelgate.packager.io.Streams;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.store.BlobWriter;
import io.modelgate.packager.store.ImageStore;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.MessageDigest;

/** Turns uncompressed layer tars into compressed blobs in the store, computing diff_id and digest in one pass. */
public final class Layers {
    private Layers() {
    }

    /** A sink for one layer's uncompressed tar; {@link #finish()} stores the compressed blob. */
    public static final class Sink extends FilterOutputStream {
        private final BlobWriter blob;
        private final MessageDigest diffSha = Digest.newSha256();
        private final Compression compression;
        private boolean finished;

        private Sink(BlobWriter blob, OutputStream compressed, Compression compression) {
            super(compressed);
            this.blob = blob;
            this.compression = compression;
        }

        @Override
        public void write(int b) throws IOException {
            diffSha.update((byte) b);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            diffSha.update(b, off, len);
            out.write(b, off, len);
        }

        /** Ends the compressed stream and commits the blob; returns the stored layer. */
        public Layer finish() throws IOException {
            finished = true;
            try {
                out.close();
            } catch (IOException | RuntimeException e) {
                // close() will not run again: drop the half-written blob now, or it stays in ingest/.
                try {
                    blob.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
            Digest diffId = Digest.fromHash(diffSha.digest());
            long size = blob.size();
            Digest digest = blob.commit(null);
            return new Layer(diffId, Descriptor.of(compression.mediaType(), digest, size));
        }

        @Override
        public void close() throws IOException {
            if (!finished) {
                finished = true;
                try {
                    out.close();
                } finally {
                    blob.close();
                }
            }
        }
    }

    /** Opens a sink that compresses what is written and stores it as a layer blob. */
    public static Sink open(ImageStore store, Compression compression) throws IOException {
        return open(store, compression, Compression.Effort.DEFAULT);
    }

    /** As {@link #open(ImageStore, Compression)}, at the given compression effort. */
    public static Sink open(ImageStore store, Compression compression, Compression.Effort effort) throws IOException {
        BlobWriter blob = store.newBlob();
        try {
            OutputStream unclosable = Streams.unclosable(blob);
            return new Sink(blob, compression.compress(unclosable, Runtime.getRuntime().availableProcessors(), effort), compression);
        } catch (IOException | RuntimeException e) {
            blob.close();
            throw e;
        }
    }

    /** Stores an uncompressed tar stream as a layer. */
    public static Layer store(ImageStore store, InputStream tar, Compression compression) throws IOException {
        try (Sink sink = open(store, compression)) {
            tar.transferTo(sink);
            return sink.finish();
        }
    }
}
