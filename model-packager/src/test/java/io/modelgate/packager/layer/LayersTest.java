package io.modelgate.packager.layer;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.store.ImageStore;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static io.modelgate.packager.layer.ParallelGzipOutputStreamTest.random;
import static io.modelgate.packager.layer.ParallelGzipOutputStreamTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class LayersTest {
    @TempDir
    Path home;
    ImageStore store;

    @BeforeEach
    void openStore() {
        store = ImageStore.open(home);
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void records_diff_id_of_the_tar_and_digest_of_the_stored_blob(Compression compression) throws IOException {
        byte[] tar = tar("weights.bin", random(600_000, 1), "model.yaml", text(5_000));

        Layer layer = Layers.store(store, new ByteArrayInputStream(tar), compression);

        assertThat(layer.diffId()).isEqualTo(Digest.sha256(tar));
        byte[] stored = Files.readAllBytes(store.blobPath(layer.blob().digest()));
        assertThat(layer.blob().digest()).isEqualTo(Digest.sha256(stored));
        assertThat(layer.blob().size()).isEqualTo(stored.length);
        assertThat(layer.blob().mediaType()).isEqualTo(compression.mediaType());
        assertArrayEquals(tar, compression.decompress(new ByteArrayInputStream(stored)).readAllBytes());
        if (compression == Compression.NONE) {
            assertThat(layer.blob().digest()).isEqualTo(layer.diffId());
        } else {
            assertThat(stored.length).isLessThan(tar.length);
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void gives_the_same_digests_when_the_same_tar_is_stored_again(Compression compression) throws IOException {
        byte[] tar = tar("a.txt", text(400_000), "b.bin", random(300_000, 2));

        Layer first = Layers.store(store, new ByteArrayInputStream(tar), compression);
        Layer second = Layers.store(store, new ByteArrayInputStream(tar), compression);

        assertThat(second).isEqualTo(first);
        assertThat(blobs()).containsExactly(first.blob().digest().hex());
        assertThat(ingest()).isEmpty();
    }

    @Test
    void stores_what_is_written_to_a_sink_when_finished() throws IOException {
        Layer layer;
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        try (Layers.Sink sink = Layers.open(store, Compression.GZIP)) {
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new TeeOutputStream(sink, copy))) {
                add(tar, "server/main.py", "print('hi')\n".getBytes(StandardCharsets.UTF_8));
                tar.finish();
                tar.flush();
            }
            layer = sink.finish();
        }

        assertThat(layer.diffId()).isEqualTo(Digest.sha256(copy.toByteArray()));
        try (TarArchiveInputStream in = new TarArchiveInputStream(Compression.decompressAuto(store.openBlob(layer.blob().digest())))) {
            TarArchiveEntry entry = in.getNextEntry();
            assertThat(entry.getName()).isEqualTo("server/main.py");
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("print('hi')\n");
        }
        assertThat(ingest()).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void leaves_neither_temporary_file_nor_blob_when_the_input_fails_midway(Compression compression) throws IOException {
        InputStream failing = new InputStream() {
            final InputStream data = new ByteArrayInputStream(random(3_000_000, 3));

            @Override
            public int read() throws IOException {
                throw new IOException("unexpected");
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = data.read(b, off, len);
                if (n < 0) {
                    throw new IOException("connection reset");
                }
                return n;
            }
        };

        assertThatThrownBy(() -> Layers.store(store, failing, compression))
                .isInstanceOf(IOException.class).hasMessage("connection reset");

        assertThat(ingest()).isEmpty();
        assertThat(blobs()).isEmpty();
    }

    @Test
    void leaves_no_temporary_file_when_abandoned_without_finish() throws IOException {
        try (Layers.Sink sink = Layers.open(store, Compression.ZSTD)) {
            sink.write(text(200_000));
            assertThat(ingest()).hasSize(1);
        }

        assertThat(ingest()).isEmpty();
        assertThat(blobs()).isEmpty();
    }

    @Test
    void leaves_no_temporary_file_when_the_blob_cannot_be_moved_into_place() throws IOException {
        Path blobDir = store.layoutDir().resolve("blobs").resolve("sha256");
        Files.delete(blobDir);

        assertThatThrownBy(() -> Layers.store(store, new ByteArrayInputStream(tar("x", text(1000))), Compression.GZIP))
                .isInstanceOf(IOException.class);

        assertThat(ingest()).isEmpty();
    }

    private List<String> ingest() throws IOException {
        try (Stream<Path> s = Files.list(home.resolve("ingest"))) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private List<String> blobs() throws IOException {
        try (Stream<Path> s = Files.list(store.layoutDir().resolve("blobs").resolve("sha256"))) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    /** A tar with fixed metadata, as the layer builder writes them. */
    static byte[] tar(Object... namesAndContents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (int i = 0; i < namesAndContents.length; i += 2) {
                add(tar, (String) namesAndContents[i], (byte[]) namesAndContents[i + 1]);
            }
        }
        return bytes.toByteArray();
    }

    private static void add(TarArchiveOutputStream tar, String name, byte[] content) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(content.length);
        e.setModTime(0);
        e.setMode(0644);
        tar.putArchiveEntry(e);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    private static final class TeeOutputStream extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        TeeOutputStream(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }
}
