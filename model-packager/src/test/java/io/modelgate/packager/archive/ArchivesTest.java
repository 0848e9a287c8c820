package io.modelgate.packager.archive;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.store.DigestMismatchException;
import io.modelgate.packager.store.ImageNotFoundException;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.SampleImages;
import io.modelgate.packager.testing.SampleImages.LayerSpec;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ArchivesTest {
    @TempDir
    Path tmp;
    ImageStore source;
    ImageStore target;

    @BeforeEach
    void stores() {
        source = ImageStore.open(tmp.resolve("source"));
        target = ImageStore.open(tmp.resolve("target"));
    }

    // ------------------------------------------------------------------ save

    @Test
    void save_writes_an_oci_layout_and_a_docker_manifest_over_the_same_blobs() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("model/weights.bin", "w1", "model.yaml", "name: iris"));
        byte[] tar = save(source, "iris:1");

        Digest config = image.manifest().config().digest();
        Digest layer = image.manifest().layers().get(0).digest();
        List<String> blobNames = Stream.of(image.digest(), config, layer).map(d -> "blobs/sha256/" + d.hex()).sorted().toList();
        List<String> expected = new ArrayList<>(List.of("blobs/", "blobs/sha256/"));
        expected.addAll(blobNames);
        expected.addAll(List.of("index.json", "manifest.json", "oci-layout"));
        assertThat(entries(tar)).extracting(TarArchiveEntry::getName).containsExactlyElementsOf(expected);
        assertThat(entries(tar)).allSatisfy(e -> {
            assertThat(e.getLastModifiedTime().toMillis()).isZero();
            assertThat(e.getLongUserId()).isZero();
            assertThat(e.getLongGroupId()).isZero();
            assertThat(e.getMode() & 07777).isEqualTo(e.isDirectory() ? 0755 : 0644);
        });
        TarEdits.files(tar).forEach((name, content) -> {
            if (name.startsWith("blobs/sha256/")) {
                assertThat(Digest.sha256(content).hex()).as(name).isEqualTo(name.substring("blobs/sha256/".length()));
            }
        });

        ImageIndex index = ImageIndex.parse(TarEdits.files(tar).get("index.json"));
        assertThat(index.manifests()).singleElement().satisfies(d -> {
            assertThat(d.digest()).isEqualTo(image.digest());
            assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
            assertThat(d.annotations()).containsExactlyInAnyOrderEntriesOf(Map.of(
                    "org.opencontainers.image.ref.name", "1",
                    "io.containerd.image.name", "docker.io/library/iris:1"));
        });
        JsonNode docker = Json.mapper().readTree(TarEdits.text(tar, "manifest.json"));
        assertThat(docker.toString()).isEqualTo("[{\"Config\":\"blobs/sha256/" + config.hex() + "\",\"RepoTags\":[\"iris:1\"],"
                + "\"Layers\":[\"blobs/sha256/" + layer.hex() + "\"]}]");
        assertThat(TarEdits.text(tar, "oci-layout")).isEqualTo("{\"imageLayoutVersion\":\"1.0.0\"}");
    }

    @Test
    void save_gives_the_same_bytes_for_the_same_images() throws IOException {
        SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        SampleImages.create(target, "iris:1", Map.of("a.txt", "a"));

        byte[] first = save(source, "iris:1");
        assertThat(save(source, "iris:1")).isEqualTo(first);
        assertThat(save(target, "iris:1")).as("same image in another store").isEqualTo(first);
    }

    @Test
    void save_writes_one_docker_entry_per_image_with_all_its_tags() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        source.tag(ImageRef.parse("iris:latest"), image.manifestDescriptor());
        source.tag(ImageRef.parse("localhost:5000/team/iris:2"), image.manifestDescriptor());
        SampleImages.create(source, "bert:1", Map.of("b.txt", "b"));

        byte[] tar = save(source, "iris:1", "iris:latest", "localhost:5000/team/iris:2", "bert:1");

        List<DockerManifestItem> items = List.of(Json.mapper().readValue(TarEdits.files(tar).get("manifest.json"), DockerManifestItem[].class));
        assertThat(items).extracting(DockerManifestItem::repoTags)
                .containsExactly(List.of("iris:1", "iris:latest", "localhost:5000/team/iris:2"), List.of("bert:1"));
        assertThat(ImageIndex.parse(TarEdits.files(tar).get("index.json")).manifests())
                .extracting(d -> d.annotations().get("io.containerd.image.name"))
                .containsExactly("docker.io/library/iris:1", "docker.io/library/iris:latest", "localhost:5000/team/iris:2", "docker.io/library/bert:1");

        List<LoadedImage> loaded = load(target, tar);
        assertThat(loaded).extracting(l -> l.ref().toString())
                .containsExactlyInAnyOrder("iris:1", "iris:latest", "localhost:5000/team/iris:2", "bert:1");
    }

    @Test
    void save_writes_an_image_named_twice_once() throws IOException {
        SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));

        assertThat(save(source, "iris:1", "iris:1")).isEqualTo(save(source, "iris:1"));
    }

    @Test
    void load_keeps_an_image_the_archive_does_not_name_untagged() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        Map<String, byte[]> files = TarEdits.files(save(source, "iris:1"));
        files.remove("manifest.json");
        files.put("index.json", Json.write(ImageIndex.of(List.of(image.manifestDescriptor().withoutAnnotations()
                .withAnnotations(Map.of("org.opencontainers.image.ref.name", "latest"))))));

        List<LoadedImage> loaded = load(target, TarEdits.write(files));

        assertThat(loaded).singleElement().satisfies(l -> {
            assertThat(l.named()).isFalse();
            assertThat(l.manifest().digest()).isEqualTo(image.digest());
        });
        assertThat(target.list()).isEmpty();
        assertThat(target.hasBlob(image.digest())).isTrue();
    }

    @Test
    void save_refuses_an_unknown_image_before_writing_anything() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> Archives.of(source).save(List.of("nope:1"), out))
                .isInstanceOf(ImageNotFoundException.class).hasMessageContaining("nope:1");
        assertThat(out.size()).isZero();
    }

    @Test
    void save_fails_when_a_blob_in_the_store_is_corrupt() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        Path blob = source.blobPath(image.manifest().layers().get(0).digest());
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length / 2] ^= 1;
        Files.write(blob, bytes);

        assertThatThrownBy(() -> save(source, "iris:1"))
                .isInstanceOf(DigestMismatchException.class).hasMessageContaining(image.manifest().layers().get(0).digest().toString());
    }

    // ------------------------------------------------------------------ load

    @Test
    void load_into_an_empty_store_gives_the_identical_manifest_digest() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", List.of(
                new LayerSpec(Map.of("bin/server", "server"), Compression.GZIP),
                new LayerSpec(Map.of("model/weights.bin", "weights"), Compression.ZSTD)));

        List<LoadedImage> loaded = load(target, save(source, "iris:1"));

        assertThat(loaded).singleElement().satisfies(l -> {
            assertThat(l.ref()).isEqualTo(ImageRef.parse("iris:1"));
            assertThat(l.manifest().digest()).isEqualTo(image.digest());
        });
        StoredImage copy = target.resolve("iris:1");
        assertThat(copy.digest()).isEqualTo(image.digest());
        assertThat(copy.manifest()).isEqualTo(image.manifest());
        for (Descriptor layer : copy.manifest().layers()) {
            assertThat(target.readBlob(layer.digest())).isEqualTo(source.readBlob(layer.digest()));
        }
    }

    @Test
    void load_reads_a_gzip_compressed_archive() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(save(source, "iris:1"));
        }

        assertThat(load(target, gz.toByteArray())).extracting(l -> l.manifest().digest()).containsExactly(image.digest());
    }

    @Test
    void load_reads_the_docker_manifest_when_the_archive_has_no_oci_index() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        Map<String, byte[]> files = TarEdits.files(save(source, "iris:1"));
        files.remove("index.json");
        files.remove("oci-layout");

        List<LoadedImage> loaded = load(target, TarEdits.write(files));

        // compressed layers are kept as they are, so the rebuilt OCI manifest is the same document
        assertThat(loaded).singleElement().satisfies(l -> {
            assertThat(l.ref()).isEqualTo(ImageRef.parse("iris:1"));
            assertThat(l.manifest().digest()).isEqualTo(image.digest());
        });
    }

    @Test
    void load_names_index_entries_from_manifest_json_when_they_carry_no_name() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        Map<String, byte[]> files = TarEdits.files(save(source, "iris:1"));
        files.put("index.json", Json.write(ImageIndex.of(List.of(image.manifestDescriptor().withoutAnnotations()))));

        assertThat(load(target, TarEdits.write(files))).extracting(l -> l.ref().toString()).containsExactly("iris:1");
    }

    @Test
    void load_reads_a_legacy_docker_archive_with_uncompressed_layer_tars() throws IOException {
        byte[] layer = SampleImages.tar(Map.of("etc/hello", "hello"));
        Digest diffId = Digest.sha256(layer);
        byte[] config = Json.write(new ImageConfig("2024-01-01T00:00:00Z", null, "amd64", "linux", null, null,
                new ImageConfig.RootFs("layers", List.of(diffId, diffId)), List.of()));
        String configName = Digest.sha256(config).hex() + ".json";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("aaaa/VERSION", TarEdits.utf8("1.0"));
        files.put("aaaa/json", TarEdits.utf8("{\"id\":\"aaaa\"}"));
        files.put("aaaa/layer.tar", layer);
        files.put("bbbb/layer.tar", TarEdits.symlink("../aaaa/layer.tar")); // docker links a repeated layer
        files.put(configName, config);
        files.put("repositories", TarEdits.utf8("{\"legacy\":{\"1\":\"bbbb\"}}"));
        files.put("manifest.json", TarEdits.utf8("[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"docker.io/library/legacy:1\"],"
                + "\"Layers\":[\"aaaa/layer.tar\",\"bbbb/layer.tar\"]}]"));

        List<LoadedImage> loaded = load(target, TarEdits.write(files));

        assertThat(loaded).extracting(l -> l.ref().toString()).containsExactly("legacy:1");
        StoredImage image = target.resolve("legacy:1");
        assertThat(image.manifest().config().digest()).isEqualTo(Digest.sha256(config));
        assertThat(image.manifest().layers()).hasSize(2).allSatisfy(d -> {
            assertThat(d.mediaType()).isEqualTo(MediaTypes.OCI_LAYER);
            assertThat(d.digest()).isEqualTo(diffId);
            assertThat(d.size()).isEqualTo(layer.length);
        });
        assertThat(target.readBlob(diffId)).isEqualTo(layer);
    }

    @Test
    void load_refuses_a_docker_layer_that_does_not_match_its_diff_id() throws IOException {
        byte[] layer = SampleImages.tar(Map.of("etc/hello", "hello"));
        byte[] config = Json.write(new ImageConfig(null, null, "amd64", "linux", null, null,
                new ImageConfig.RootFs("layers", List.of(Digest.sha256(SampleImages.tar(Map.of("etc/hello", "HELLO"))))), List.of()));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("c.json", config);
        files.put("aaaa/layer.tar", layer);
        files.put("manifest.json", TarEdits.utf8("[{\"Config\":\"c.json\",\"RepoTags\":[\"legacy:1\"],\"Layers\":[\"aaaa/layer.tar\"]}]"));

        assertLoadFails(TarEdits.write(files), "layer aaaa/layer.tar does not match the config", "diff_ids[0]");
    }

    @Test
    void load_refuses_a_truncated_archive() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("weights.bin", randomText(100_000)));
        byte[] tar = save(source, "iris:1");
        Digest layer = image.manifest().layers().get(0).digest();
        int layerData = indexOf(tar, source.readBlob(layer));

        assertLoadFails(Arrays.copyOf(tar, layerData + 100), "truncated", "blobs/sha256/" + layer.hex());
    }

    @Test
    void load_refuses_an_archive_cut_off_between_two_entries() throws IOException {
        SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        byte[] tar = save(source, "iris:1");
        // the first two entries are the blobs/ and blobs/sha256/ directories: one 512-byte header each

        assertLoadFails(Arrays.copyOf(tar, 1024), "truncated or not a tar archive", "without the tar end-of-archive marker");
    }

    @Test
    void load_refuses_a_tampered_blob() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        Digest layer = image.manifest().layers().get(0).digest();
        Map<String, byte[]> files = TarEdits.files(save(source, "iris:1"));
        byte[] content = files.get("blobs/sha256/" + layer.hex());
        content[content.length - 9] ^= 0x20;

        assertLoadFails(TarEdits.write(files), "digest mismatch in entry blobs/sha256/" + layer.hex(), "tampered");
    }

    @Test
    void load_checks_blobs_the_store_already_has() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        Digest layer = image.manifest().layers().get(0).digest();
        Map<String, byte[]> files = TarEdits.files(save(source, "iris:1"));
        files.get("blobs/sha256/" + layer.hex())[20] ^= 1;
        source.untag(ImageRef.parse("iris:1"));

        assertThatThrownBy(() -> load(source, TarEdits.write(files)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("digest mismatch in entry blobs/sha256/" + layer.hex());
        assertThat(source.list()).isEmpty();
    }

    @Test
    void load_refuses_an_unknown_layer_media_type() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        Map<String, byte[]> files = TarEdits.files(save(source, "iris:1"));
        byte[] manifest = new String(files.remove("blobs/sha256/" + image.digest().hex()), java.nio.charset.StandardCharsets.UTF_8)
                .replace(MediaTypes.OCI_LAYER_GZIP, "application/vnd.example.weights").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(manifest);
        files.put("blobs/sha256/" + digest.hex(), manifest);
        files.put("index.json", Json.write(ImageIndex.of(List.of(Descriptor.of(MediaTypes.OCI_MANIFEST, digest, manifest.length)
                .withAnnotations(Map.of("io.containerd.image.name", "docker.io/library/iris:1"))))));

        assertLoadFails(TarEdits.write(files), "manifest " + digest, "unknown layer media type 'application/vnd.example.weights'");
    }

    @Test
    void load_refuses_an_archive_with_a_missing_blob() throws IOException {
        StoredImage image = SampleImages.create(source, "iris:1", Map.of("a.txt", "a"));
        Digest layer = image.manifest().layers().get(0).digest();
        Map<String, byte[]> files = TarEdits.files(save(source, "iris:1"));
        files.remove("blobs/sha256/" + layer.hex());

        assertLoadFails(TarEdits.write(files), "incomplete", "layer 1 is missing", "blobs/sha256/" + layer.hex());
    }

    @Test
    void load_refuses_a_file_that_is_not_a_tar() throws IOException {
        byte[] garbage = new byte[4096];
        new Random(42).nextBytes(garbage);
        garbage[0] = 'x';

        assertLoadFails(garbage, "test.tar is not a valid tar archive");
        assertLoadFails(TarEdits.utf8("just some text\n"), "test.tar is truncated or not a tar archive");
        assertLoadFails(new byte[0], "test.tar is empty");
    }

    @Test
    void load_refuses_a_tar_that_holds_no_image() throws IOException {
        assertLoadFails(SampleImages.tar(Map.of("hello.txt", "hi")), "neither an OCI image layout", "nor a docker archive");
    }

    // ------------------------------------------------------------------ helpers

    private void assertLoadFails(byte[] tar, String... fragments) throws IOException {
        assertThatThrownBy(() -> load(target, tar)).isInstanceOf(ImageFormatException.class).message().contains(fragments);
        assertThat(target.list()).as("no image may be tagged").isEmpty();
        try (Stream<Path> temps = Files.list(tmp.resolve("target/ingest"))) {
            assertThat(temps).as("no temporary blob is left behind").isEmpty();
        }
    }

    static byte[] save(ImageStore store, String... refs) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Archives.of(store).save(List.of(refs), out);
        return out.toByteArray();
    }

    static List<LoadedImage> load(ImageStore store, byte[] tar) throws IOException {
        return Archives.of(store).load(new ByteArrayInputStream(tar), "test.tar");
    }

    private static List<TarArchiveEntry> entries(byte[] tar) throws IOException {
        List<TarArchiveEntry> out = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                out.add(e);
            }
        }
        return out;
    }

    private static String randomText(int length) {
        Random random = new Random(7);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append((char) ('a' + random.nextInt(26)));
        }
        return s.toString();
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < Math.min(needle.length, 64); j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }
}
