package io.modelgate.packager.pack;

import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.model.ModelSpecException;
import io.modelgate.packager.store.StoredImage;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PackerTest {
    @TempDir
    Path tmp;
    Path model;

    @BeforeEach
    void writeModel() throws IOException {
        model = tmp.resolve("model-src");
        write(model.resolve("model.yaml"), """
                name: demo
                version: "1"
                server:
                  type: command
                  command: [python3, server/serve.py]
                  port: 9000
                layers:
                  dependencies: ["vendor/**"]
                  server: ["server/**"]
                env: {GREETING: hi}
                """);
        write(model.resolve("server/serve.py"), "print('serving')\n");
        write(model.resolve("vendor/lib.py"), "X = 1\n");
        write(model.resolve("predict.py"), "def predict(x):\n    return x\n");
        write(model.resolve("weights/small.onnx"), "tiny weights");
        byte[] big = new byte[11_000_000];
        new Random(7).nextBytes(big);
        Files.createDirectories(model.resolve("weights"));
        Files.write(model.resolve("weights/big.bin"), big);
        write(model.resolve(".modelignore"), "*.log\n__pycache__\n");
        write(model.resolve("debug.log"), "noise");
        write(model.resolve("__pycache__/x.pyc"), "noise");
    }

    private static void write(Path p, String content) throws IOException {
        Files.createDirectories(p.getParent());
        Files.writeString(p, content);
    }

    private PackResult pack(Path home, Path dir) throws IOException {
        return Packer.create(home).pack(dir, PackOptions.defaults().withCreated(Instant.EPOCH));
    }

    @Test
    void gives_the_same_digest_when_packed_from_another_folder_into_another_store() throws IOException {
        PackResult first = pack(tmp.resolve("home1"), model);
        Path copy = tmp.resolve("elsewhere/copy");
        copyTree(model, copy);
        // A different umask-like mode on a non-executable file and different mtimes must not matter.
        Files.setLastModifiedTime(copy.resolve("predict.py"), java.nio.file.attribute.FileTime.fromMillis(123456789));
        PackResult second = pack(tmp.resolve("home2"), copy);
        assertThat(second.digest()).isEqualTo(first.digest());
    }

    @Test
    void changes_the_digest_only_through_the_timestamp_when_source_date_epoch_differs() throws IOException {
        Packer packer = Packer.create(tmp.resolve("home"));
        var a = packer.pack(model, PackOptions.defaults().withCreated(Instant.EPOCH));
        var b = packer.pack(model, PackOptions.defaults().withCreated(Instant.ofEpochSecond(1_700_000_000)));
        assertThat(b.digest()).isNotEqualTo(a.digest());
        StoredImage image = packer.store().resolve(b.ref().toString());
        assertThat(image.config().created()).isEqualTo("2023-11-14T22:13:20Z");
    }

    @Test
    void orders_layers_from_dependencies_to_weights_with_big_files_alone() throws IOException {
        PackResult result = pack(tmp.resolve("home"), model);
        assertThat(result.layers()).extracting(PackResult.LayerReport::description)
                .containsExactly("server dependencies", "server code", "user code", "weights", "weights: weights/big.bin");
        StoredImage image = Packer.create(tmp.resolve("home")).store().resolve("demo:1");
        assertThat(entries(image, 0)).containsExactly("model/", "model/vendor/", "model/vendor/lib.py");
        assertThat(entries(image, 1)).containsExactly("model/", "model/server/", "model/server/serve.py");
        assertThat(entries(image, 2)).contains("model/model.yaml", "model/predict.py", "model/.modelignore")
                .doesNotContain("model/debug.log", "model/__pycache__/x.pyc");
        assertThat(entries(image, 3)).containsExactly("model/", "model/weights/", "model/weights/small.onnx");
        assertThat(entries(image, 4)).containsExactly("model/", "model/weights/", "model/weights/big.bin");
    }

    @Test
    void writes_fixed_metadata_into_every_tar_entry() throws IOException {
        Files.setPosixFilePermissions(model.resolve("server/serve.py"), PosixFilePermissions.fromString("rwxrwx---"));
        Files.setPosixFilePermissions(model.resolve("predict.py"), PosixFilePermissions.fromString("rw-rw-rw-"));
        pack(tmp.resolve("home"), model);
        StoredImage image = Packer.create(tmp.resolve("home")).store().resolve("demo:1");
        for (int i = 0; i < image.manifest().layers().size(); i++) {
            for (TarArchiveEntry e : tarEntries(image, i)) {
                assertThat(e.getLongUserId()).isZero();
                assertThat(e.getLongGroupId()).isZero();
                assertThat(e.getUserName()).isEmpty();
                assertThat(e.getLastModifiedDate().getTime()).isZero();
                int expected = e.isDirectory() ? 0755 : e.getName().endsWith("serve.py") ? 0755 : 0644;
                assertThat(e.getMode() & 07777).as(e.getName()).isEqualTo(expected);
            }
        }
    }

    @Test
    void writes_the_server_and_model_metadata_into_the_config() throws IOException {
        pack(tmp.resolve("home"), model);
        StoredImage image = Packer.create(tmp.resolve("home")).store().resolve("demo:1");
        var rc = image.config().config();
        assertThat(rc.entrypoint()).containsExactly("python3", "server/serve.py");
        assertThat(rc.workingDir()).isEqualTo("/model");
        assertThat(rc.exposedPorts()).containsKey("9000/tcp");
        assertThat(rc.env()).contains("PORT=9000", "GREETING=hi", "MODEL_NAME=demo", "MODEL_VERSION=1");
        assertThat(rc.labels()).containsEntry("io.modelgate.server.port", "9000")
                .containsEntry("org.opencontainers.image.title", "demo");
        assertThat(image.config().diffIds()).hasSize(image.manifest().layers().size());
        assertThat(image.config().history()).hasSize(image.manifest().layers().size());
    }

    @Test
    void rebuilds_only_the_changed_layer_without_reading_unchanged_files() throws IOException {
        Path home = tmp.resolve("home");
        PackResult first = pack(home, model);
        assertThat(first.bytesRead()).as("every file is read exactly once").isBetween(11_000_000L, 11_001_000L);
        Files.writeString(model.resolve("predict.py"), "def predict(x):\n    return x + 1\n");
        PackResult second = pack(home, model);
        assertThat(second.digest()).isNotEqualTo(first.digest());
        assertThat(second.layers()).extracting(PackResult.LayerReport::cached)
                .containsExactly(true, true, false, true, true);
        assertThat(second.bytesRead()).as("only the user-code layer's small files are read again").isLessThan(1000);
        List<Object> sameDigests = new ArrayList<>();
        for (int i : new int[] {0, 1, 3, 4}) {
            assertThat(second.layers().get(i).digest()).isEqualTo(first.layers().get(i).digest());
            sameDigests.add(i);
        }
        assertThat(sameDigests).hasSize(4);
    }

    @Test
    void still_builds_correctly_when_the_layer_cache_blob_was_pruned() throws IOException {
        Path home = tmp.resolve("home");
        PackResult first = pack(home, model);
        Packer packer = Packer.create(home);
        packer.store().untag(ImageRef.parse("demo:1"));
        packer.store().collectGarbage(true);
        PackResult again = pack(home, model);
        assertThat(again.digest()).isEqualTo(first.digest());
        assertThat(again.layers()).noneMatch(PackResult.LayerReport::cached);
        assertThat(packer.store().resolve("demo:1").digest()).isEqualTo(first.digest());
    }

    @Test
    void keeps_symlinks_as_links() throws IOException {
        Files.createSymbolicLink(model.resolve("latest.onnx"), Path.of("weights/small.onnx"));
        pack(tmp.resolve("home"), model);
        StoredImage image = Packer.create(tmp.resolve("home")).store().resolve("demo:1");
        List<TarArchiveEntry> all = new ArrayList<>();
        for (int i = 0; i < image.manifest().layers().size(); i++) {
            all.addAll(tarEntries(image, i));
        }
        TarArchiveEntry link = all.stream().filter(e -> e.getName().equals("model/latest.onnx")).findFirst().orElseThrow();
        assertThat(link.isSymbolicLink()).isTrue();
        assertThat(link.getLinkName()).isEqualTo("weights/small.onnx");
    }

    @Test
    void uses_zstd_when_asked() throws IOException {
        Packer packer = Packer.create(tmp.resolve("home"));
        PackResult r = packer.pack(model, PackOptions.defaults().withCompression(Compression.ZSTD).withTag(ImageRef.parse("demo:zstd")));
        StoredImage image = packer.store().resolve(r.ref().toString());
        assertThat(image.manifest().layers()).allMatch(l -> l.mediaType().equals("application/vnd.oci.image.layer.v1.tar+zstd"));
        assertThat(entries(image, 1)).contains("model/server/serve.py");
    }

    @Test
    void refuses_a_base_that_is_not_in_the_store_and_tags_nothing() throws IOException {
        Files.writeString(model.resolve("model.yaml"), "name: demo\nbase: nothere:1\nserver: {type: command, command: [x]}\n");
        Packer packer = Packer.create(tmp.resolve("home"));
        assertThatThrownBy(() -> packer.pack(model, PackOptions.defaults()))
                .hasMessageContaining("base image 'nothere:1' is not in the store");
        assertThat(packer.store().list()).isEmpty();
    }

    @Test
    void builds_on_a_base_image_from_the_store() throws IOException {
        Packer packer = Packer.create(tmp.resolve("home"));
        PackResult base = packer.pack(model, PackOptions.defaults().withTag(ImageRef.parse("base:1")));
        Path app = tmp.resolve("app");
        write(app.resolve("model.yaml"), "name: app\nbase: base:1\nserver: {type: command, command: [./run]}\nenv: {GREETING: hello}\n");
        write(app.resolve("run"), "#!/bin/sh\n");
        PackResult result = packer.pack(app, PackOptions.defaults());
        StoredImage image = packer.store().resolve(result.ref().toString());
        StoredImage baseImage = packer.store().resolve("base:1");
        assertThat(image.manifest().layers()).startsWith(baseImage.manifest().layers().toArray(new io.modelgate.packager.image.Descriptor[0]));
        assertThat(image.config().diffIds()).startsWith(baseImage.config().diffIds().toArray(new io.modelgate.packager.image.Digest[0]));
        assertThat(image.config().config().env()).contains("GREETING=hello").doesNotContain("GREETING=hi");
        assertThat(image.config().config().labels()).containsEntry("org.opencontainers.image.base.digest", base.digest().toString());
    }

    @Test
    void names_the_file_when_model_yaml_is_invalid_and_stores_nothing() throws IOException {
        Files.writeString(model.resolve("model.yaml"), "name: demo\nserver: {type: command, command: [x], port: 0}\n");
        Packer packer = Packer.create(tmp.resolve("home"));
        assertThatThrownBy(() -> packer.pack(model, PackOptions.defaults()))
                .isInstanceOf(ModelSpecException.class)
                .hasMessageContaining("model.yaml:2")
                .hasMessageContaining("server.port");
        assertThat(packer.store().list()).isEmpty();
    }

    private static List<String> entries(StoredImage image, int layer) throws IOException {
        return tarEntries(image, layer).stream().map(TarArchiveEntry::getName).toList();
    }

    private static List<TarArchiveEntry> tarEntries(StoredImage image, int layer) throws IOException {
        var d = image.manifest().layers().get(layer);
        Path home = null;
        List<TarArchiveEntry> out = new ArrayList<>();
        var store = io.modelgate.packager.store.ImageStore.open(image.ref() == null ? home : storeHome(image));
        try (InputStream in = Compression.ofMediaType(d.mediaType()).decompress(store.openBlob(d.digest()));
             TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                out.add(e);
            }
        }
        return out;
    }

    private static Path currentHome;

    private static Path storeHome(StoredImage image) {
        return currentHome;
    }

    @BeforeEach
    void rememberHome() {
        currentHome = tmp.resolve("home");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var walk = Files.walk(from)) {
            for (Path p : walk.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target);
                }
            }
        }
    }
}
