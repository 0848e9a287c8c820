package io.modelgate.packager.archive;

import com.github.luben.zstd.ZstdOutputStream;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.SampleImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArchivesImportTest {
    @TempDir
    Path tmp;
    ImageStore store;
    byte[] rootfs;

    @BeforeEach
    void setUp() throws IOException {
        store = ImageStore.open(tmp.resolve("home"));
        rootfs = SampleImages.tar(Map.of("bin/tool", "#!/bin/sh\necho hi\n", "etc/hostname", "box\n"));
    }

    @Test
    void import_keeps_the_tar_as_given_as_one_gzip_layer() throws IOException {
        StoredImage image = importTar(rootfs, "base:1", ImportOptions.reproducible().withCreated(Instant.EPOCH));

        assertThat(image.config().diffIds()).containsExactly(Digest.sha256(rootfs));
        assertThat(image.config().os()).isEqualTo("linux");
        assertThat(image.config().architecture()).isEqualTo(Descriptor.Platform.hostArchitecture());
        assertThat(image.config().created()).isEqualTo("1970-01-01T00:00:00Z");
        Descriptor layer = image.manifest().layers().get(0);
        assertThat(layer.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
        try (GZIPInputStream in = new GZIPInputStream(store.openBlob(layer.digest()))) {
            assertThat(in.readAllBytes()).isEqualTo(rootfs);
        }
        assertThat(store.resolve("base:1").digest()).isEqualTo(image.digest());
    }

    @Test
    void import_of_the_same_tar_twice_gives_the_same_digest() throws IOException {
        ImportOptions options = ImportOptions.reproducible().withCreated(Instant.EPOCH);
        StoredImage first = importTar(rootfs, "base:1", options);
        StoredImage second = importTar(rootfs, "base:2", options);
        StoredImage elsewhere = Archives.of(ImageStore.open(tmp.resolve("other")))
                .importRootfs(new ByteArrayInputStream(rootfs), "rootfs.tar", ImageRef.parse("base:1"), options);

        assertThat(second.digest()).isEqualTo(first.digest());
        assertThat(elsewhere.digest()).isEqualTo(first.digest());
    }

    @Test
    void import_of_a_compressed_tar_gives_the_same_image() throws IOException {
        ImportOptions options = ImportOptions.reproducible().withCreated(Instant.EPOCH);
        Digest plain = importTar(rootfs, "base:1", options).digest();

        assertThat(importTar(compress(rootfs, GZIPOutputStream::new), "base:gz", options).digest()).isEqualTo(plain);
        assertThat(importTar(compress(rootfs, ZstdOutputStream::new), "base:zst", options).digest()).isEqualTo(plain);
    }

    @Test
    void import_keeps_what_follows_the_end_of_archive_marker_in_the_layer() throws IOException {
        byte[] padded = Arrays.copyOf(rootfs, rootfs.length + 10240);

        StoredImage image = importTar(padded, "base:1", ImportOptions.reproducible());

        assertThat(image.config().diffIds()).containsExactly(Digest.sha256(padded));
    }

    @Test
    void import_records_the_created_time_and_message_it_is_given() throws IOException {
        StoredImage image = importTar(rootfs, "base:1", ImportOptions.reproducible()
                .withCreated(Instant.ofEpochSecond(1_700_000_000)).withMessage("from the nightly build"));

        assertThat(image.config().created()).isEqualTo("2023-11-14T22:13:20Z");
        assertThat(image.config().history()).singleElement().satisfies(h -> {
            assertThat(h.created()).isEqualTo("2023-11-14T22:13:20Z");
            assertThat(h.comment()).isEqualTo("from the nightly build");
        });
    }

    @Test
    void import_applies_changes_to_the_config() throws IOException {
        StoredImage image = importTar(rootfs, "base:1", ImportOptions.reproducible().withChanges(List.of(
                "ENTRYPOINT [\"/bin/tool\"]", "CMD --serve", "ENV MODEL=/models/iris", "WORKDIR /srv", "USER 65534",
                "EXPOSE 8080", "LABEL org.opencontainers.image.title=iris")));

        ImageConfig.RuntimeConfig c = image.config().config();
        assertThat(c.entrypoint()).containsExactly("/bin/tool");
        assertThat(c.cmd()).containsExactly("/bin/sh", "-c", "--serve");
        assertThat(c.env()).containsExactly("MODEL=/models/iris");
        assertThat(c.workingDir()).isEqualTo("/srv");
        assertThat(c.user()).isEqualTo("65534");
        assertThat(c.exposedPorts()).containsOnlyKeys("8080/tcp");
        assertThat(c.labels()).containsEntry("org.opencontainers.image.title", "iris");
    }

    @Test
    void import_refuses_a_bad_change_before_reading_the_tar() {
        assertThatThrownBy(() -> importTar(rootfs, "base:1", ImportOptions.reproducible().withChanges(List.of("RUN make"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unsupported --change instruction 'RUN'");
    }

    @Test
    void import_refuses_what_is_not_a_complete_tar_and_stores_nothing() throws IOException {
        assertImportFails(TarEdits.utf8("#!/bin/sh\necho not a tar\n"), "rootfs.tar is truncated or not a tar archive");
        byte[] garbage = new byte[2048];
        new java.util.Random(3).nextBytes(garbage);
        garbage[0] = 'x';
        assertImportFails(garbage, "rootfs.tar is not a valid tar archive");
        assertImportFails(Arrays.copyOf(rootfs, 700), "rootfs.tar is truncated: it ends inside entry");
        assertImportFails(Arrays.copyOf(rootfs, 1024), "rootfs.tar is truncated or not a tar archive");
        assertImportFails(new byte[0], "rootfs.tar is empty");
        assertImportFails(Arrays.copyOf(compress(rootfs, GZIPOutputStream::new), 40), "rootfs.tar is truncated");
    }

    private void assertImportFails(byte[] tar, String message) throws IOException {
        assertThatThrownBy(() -> importTar(tar, "base:1", ImportOptions.reproducible()))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining(message);
        assertThat(store.list()).isEmpty();
        try (Stream<Path> temps = Files.list(tmp.resolve("home/ingest"))) {
            assertThat(temps).isEmpty();
        }
    }

    private StoredImage importTar(byte[] tar, String ref, ImportOptions options) throws IOException {
        return Archives.of(store).importRootfs(new ByteArrayInputStream(tar), "rootfs.tar", ImageRef.parse(ref), options);
    }

    interface Compressor {
        OutputStream wrap(OutputStream out) throws IOException;
    }

    private static byte[] compress(byte[] bytes, Compressor compressor) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream c = compressor.wrap(out)) {
            c.write(bytes);
        }
        return out.toByteArray();
    }
}
