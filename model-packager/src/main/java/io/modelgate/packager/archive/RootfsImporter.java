package io.modelgate.packager.archive;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig.RuntimeConfig;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.io.Streams;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.layer.Layer;
import io.modelgate.packager.layer.Layers;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;

/**
 * {@code docker import}: a root filesystem tar becomes a one-layer image. The layer is the tar exactly as given
 * (its diff_id is the sha256 of the uncompressed bytes), stored gzip-compressed; the tar is parsed on the way
 * through only to refuse what is not a complete tar.
 */
final class RootfsImporter {
    private final ImageStore store;

    RootfsImporter(ImageStore store) {
        this.store = store;
    }

    StoredImage importRootfs(InputStream in, String source, ImageRef ref, ImportOptions options) throws IOException {
        if (ref.tag() == null) {
            throw new IllegalArgumentException("cannot import as '" + ref + "': a tag is needed (name:tag)");
        }
        RuntimeConfig runtime = Changes.apply(RuntimeConfig.empty(), options.changes());
        Layer layer;
        try (Layers.Sink sink = Layers.open(store, Compression.GZIP)) {
            Tee tee = new Tee(Compression.decompressAuto(in), sink);
            TarStream tar = new TarStream(tee, source);
            try {
                while (tar.next() != null) {
                    // getNextEntry skips each entry's data through the tee, so every byte is hashed
                }
                tee.transferTo(OutputStream.nullOutputStream()); // what follows the end marker is part of the tar too
            } catch (IOException e) {
                throw tar.entryError(tar.getCurrentEntry() == null ? "(after the last entry)" : tar.getCurrentEntry().getName(), e);
            }
            layer = sink.finish();
        }
        String created = options.created().toString();
        ImageConfig config = new ImageConfig(created, null, Descriptor.Platform.hostArchitecture(), "linux", null, runtime,
                new ImageConfig.RootFs("layers", List.of(layer.diffId())),
                List.of(new ImageConfig.History(created, "modelgate import", options.message(), null)));
        byte[] configBytes = Json.write(config);
        Digest configDigest = store.writeBlob(configBytes);
        ImageManifest manifest = ImageManifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length), List.of(layer.blob()));
        return store.putImage(ref, Json.write(manifest), MediaTypes.OCI_MANIFEST);
    }

    /** Copies every byte read (or skipped) to a sink, so hashing sees exactly what the tar parser consumed. */
    private static final class Tee extends FilterInputStream {
        private final OutputStream sink;

        Tee(InputStream in, OutputStream sink) {
            super(in);
            this.sink = sink;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                sink.write(b);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                sink.write(b, off, n);
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
    }
}
