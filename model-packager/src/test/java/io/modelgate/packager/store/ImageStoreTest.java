package io.modelgate.packager.store;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.testing.TestImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.modelgate.packager.testing.TestImages.put;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageStoreTest {
    @TempDir
    Path home;
    ImageStore store;

    @BeforeEach
    void openStore() {
        store = ImageStore.open(home);
    }

    // ------------------------------------------------------------------ layout

    @Test
    void creates_an_oci_layout_with_an_empty_index_when_opened() throws IOException {
        Path layout = home.resolve("images");
        assertThat(store.layoutDir()).isEqualTo(layout);

        JsonNode ociLayout = Json.mapper().readTree(layout.resolve("oci-layout").toFile());
        assertThat(ociLayout.path("imageLayoutVersion").asText()).isEqualTo("1.0.0");
        JsonNode index = Json.mapper().readTree(layout.resolve("index.json").toFile());
        assertThat(index.path("schemaVersion").asInt()).isEqualTo(2);
        assertThat(index.path("mediaType").asText()).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(index.path("manifests").isArray()).isTrue();
        assertThat(index.path("manifests")).isEmpty();
        assertThat(layout.resolve("blobs/sha256")).isDirectory();
    }

    @Test
    void keeps_the_images_when_opened_again() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");

        ImageStore again = ImageStore.open(home);

        assertThat(again.resolve("iris:1").digest()).isEqualTo(iris.digest());
    }

    @Test
    void writes_an_index_that_is_valid_oci_with_one_descriptor_per_tag() throws IOException {
        StoredImage iris = put(store, "iris:1", "a", "b");
        store.tag(ImageRef.parse("localhost:5000/team/iris:v1"), iris.manifestDescriptor());

        JsonNode index = Json.mapper().readTree(home.resolve("images/index.json").toFile());

        assertThat(index.path("schemaVersion").asInt()).isEqualTo(2);
        assertThat(index.path("mediaType").asText()).isEqualTo(MediaTypes.OCI_INDEX);
        assertThat(index.path("manifests")).hasSize(2);
        for (JsonNode m : index.path("manifests")) {
            assertThat(m.path("mediaType").asText()).isEqualTo(MediaTypes.OCI_MANIFEST);
            assertThat(m.path("digest").asText()).isEqualTo(iris.digest().toString());
            assertThat(m.path("size").asLong()).isEqualTo(Files.size(store.blobPath(iris.digest())));
        }
        assertThat(index.path("manifests").findValuesAsText(ImageStore.REF_NAME))
                .containsExactly("iris:1", "localhost:5000/team/iris:v1");
    }

    // ------------------------------------------------------------------ blobs

    @Test
    void stores_a_blob_under_its_sha256_when_written() throws IOException {
        byte[] bytes = "hello".getBytes(StandardCharsets.UTF_8);

        Digest digest = store.writeBlob(bytes);

        assertThat(digest).isEqualTo(Digest.sha256(bytes));
        assertThat(store.blobPath(digest)).isEqualTo(home.resolve("images/blobs/sha256").resolve(digest.hex())).hasBinaryContent(bytes);
        assertThat(store.hasBlob(digest)).isTrue();
        assertThat(store.blobSize(digest)).isEqualTo(5);
        assertThat(store.readBlob(digest)).isEqualTo(bytes);
        assertThat(store.writeBlob(new ByteArrayInputStream(bytes), digest)).isEqualTo(digest);
        assertThat(ingest()).isEmpty();
    }

    @Test
    void keeps_a_blob_in_ingest_until_it_is_committed() throws IOException {
        byte[] bytes = "partial content".getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.sha256(bytes);

        try (BlobWriter writer = store.newBlob()) {
            writer.write(bytes);
            writer.flush();
            assertThat(ingest()).hasSize(1);
            assertThat(store.hasBlob(digest)).isFalse();
            assertThat(blobs()).isEmpty();

            assertThat(writer.commit(digest)).isEqualTo(digest);
        }

        assertThat(ingest()).isEmpty();
        assertThat(blobs()).containsExactly(digest.hex());
    }

    @Test
    void stores_nothing_when_the_content_does_not_match_the_expected_digest() throws IOException {
        Digest expected = Digest.sha256("the real thing".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> store.writeBlob(new ByteArrayInputStream("tampered".getBytes(StandardCharsets.UTF_8)), expected))
                .isInstanceOf(DigestMismatchException.class)
                .hasMessageContaining(expected.toString())
                .hasMessageContaining(Digest.sha256("tampered".getBytes(StandardCharsets.UTF_8)).toString());

        assertThat(blobs()).isEmpty();
        assertThat(ingest()).isEmpty();
    }

    @Test
    void leaves_nothing_behind_when_a_writer_is_closed_without_commit() throws IOException {
        try (BlobWriter writer = store.newBlob()) {
            writer.write(new byte[100_000]);
        }

        assertThat(ingest()).isEmpty();
        assertThat(blobs()).isEmpty();
    }

    @Test
    void refuses_to_read_a_blob_whose_file_was_corrupted_naming_the_digest() throws IOException {
        byte[] bytes = new byte[200_000];
        new java.util.Random(1).nextBytes(bytes);
        Digest digest = store.writeBlob(bytes);
        Path file = store.blobPath(digest);
        byte[] onDisk = Files.readAllBytes(file);
        onDisk[123_456] ^= 0x01;
        Files.write(file, onDisk);

        assertThatThrownBy(() -> store.readBlob(digest))
                .isInstanceOf(DigestMismatchException.class)
                .hasMessageContaining(digest.toString())
                .hasMessageContaining("corrupt");
        assertThatThrownBy(() -> {
            try (InputStream in = store.openBlob(digest)) {
                in.transferTo(java.io.OutputStream.nullOutputStream());
            }
        }).isInstanceOf(DigestMismatchException.class).hasMessageContaining(digest.toString());
    }

    @Test
    void detects_corruption_when_the_reader_takes_exactly_the_blob_size_and_stops() throws IOException {
        byte[] bytes = "0123456789".repeat(1000).getBytes(StandardCharsets.UTF_8);
        Digest digest = store.writeBlob(bytes);
        Path file = store.blobPath(digest);
        Files.write(file, "X123456789".repeat(1000).getBytes(StandardCharsets.UTF_8));

        // a reader that knows the size (tar, registry upload) never reads to EOF
        assertThatThrownBy(() -> {
            try (InputStream in = store.openBlob(digest)) {
                in.readNBytes(bytes.length);
            }
        }).isInstanceOf(DigestMismatchException.class).hasMessageContaining(digest.toString());
    }

    @Test
    void keeps_failing_when_a_corrupt_blob_is_read_past_the_failure() throws IOException {
        Digest digest = store.writeBlob("abc".getBytes(StandardCharsets.UTF_8));
        Files.write(store.blobPath(digest), "abd".getBytes(StandardCharsets.UTF_8));

        try (InputStream in = store.openBlob(digest)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(DigestMismatchException.class);
            assertThatThrownBy(in::read).isInstanceOf(DigestMismatchException.class);
        }
    }

    @Test
    void refuses_a_truncated_blob() throws IOException {
        Digest digest = store.writeBlob("abcdef".getBytes(StandardCharsets.UTF_8));
        Files.write(store.blobPath(digest), "abc".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> store.readBlob(digest)).isInstanceOf(DigestMismatchException.class);
    }

    @Test
    void reads_a_blob_byte_by_byte_and_with_skip_when_intact() throws IOException {
        byte[] bytes = "some blob content".getBytes(StandardCharsets.UTF_8);
        Digest digest = store.writeBlob(bytes);

        try (InputStream in = store.openBlob(digest)) {
            assertThat(in.read()).isEqualTo('s');
            assertThat(in.skip(4)).isEqualTo(4);
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("blob content");
            assertThat(in.read()).isEqualTo(-1);
        }
    }

    @Test
    void says_which_blob_is_missing_when_absent() {
        Digest digest = Digest.sha256(new byte[] {1});

        assertThatThrownBy(() -> store.openBlob(digest)).isInstanceOf(ImageNotFoundException.class).hasMessageContaining(digest.toString());
        assertThatThrownBy(() -> store.blobSize(digest)).isInstanceOf(ImageNotFoundException.class).hasMessageContaining(digest.toString());
        assertThat(store.hasBlob(digest)).isFalse();
    }

    // ------------------------------------------------------------------ images and tags

    @Test
    void refuses_a_manifest_whose_layers_are_not_stored() throws IOException {
        byte[] manifest = TestImages.manifest(store, "x", "layer one", "layer two");
        Digest missing = Digest.sha256("layer two".getBytes(StandardCharsets.UTF_8));
        Files.delete(store.blobPath(missing));

        assertThatThrownBy(() -> store.putImage(ImageRef.parse("x:1"), manifest, MediaTypes.OCI_MANIFEST))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining(missing.toString());

        assertThat(store.list()).isEmpty();
        assertThat(store.hasBlob(Digest.sha256(manifest))).isFalse();
    }

    @Test
    void refuses_a_manifest_whose_config_is_not_stored() throws IOException {
        byte[] manifest = TestImages.manifest(store, "x", "layer");
        Digest config = io.modelgate.packager.image.ImageManifest.parse(manifest, null).config().digest();
        Files.delete(store.blobPath(config));

        assertThatThrownBy(() -> store.putImage(ImageRef.parse("x:1"), manifest, MediaTypes.OCI_MANIFEST))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("config " + config);
        assertThat(store.list()).isEmpty();
    }

    @Test
    void stores_manifest_config_and_layers_when_put() throws IOException {
        StoredImage image = put(store, "iris:1", "weights", "code");

        assertThat(image.ref()).isEqualTo(ImageRef.parse("iris:1"));
        assertThat(image.manifestDescriptor().mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(image.manifest().layers()).hasSize(2);
        assertThat(image.config().diffIds()).containsExactly(
                Digest.sha256("weights".getBytes(StandardCharsets.UTF_8)), Digest.sha256("code".getBytes(StandardCharsets.UTF_8)));
        assertThat(store.readBlob(image.digest())).hasSize((int) image.manifestDescriptor().size());
        assertThat(Digest.sha256(store.readBlob(image.digest()))).isEqualTo(image.digest());
    }

    @Test
    void takes_a_manifest_without_media_type_as_oci() throws IOException {
        byte[] config = Json.write(new io.modelgate.packager.image.ImageConfig(null, null, "amd64", "linux", null, null, null, null));
        Digest configDigest = store.writeBlob(config);
        byte[] manifest = ("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\""
                + configDigest + "\",\"size\":" + config.length + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);

        StoredImage image = store.putImage(ImageRef.parse("bare:1"), manifest, null);

        assertThat(image.manifestDescriptor().mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
        assertThat(store.resolve("bare:1").digest()).isEqualTo(Digest.sha256(manifest));
    }

    @Test
    void points_the_tag_at_the_new_image_when_tagged_again() throws IOException {
        StoredImage one = put(store, "iris:1", "v1");
        StoredImage two = put(store, "iris:2", "v2");

        store.tag(ImageRef.parse("iris:1"), two.manifestDescriptor());

        assertThat(store.list()).extracting(t -> t.ref().toString(), t -> t.manifest().digest())
                .containsExactly(org.assertj.core.groups.Tuple.tuple("iris:1", two.digest()),
                        org.assertj.core.groups.Tuple.tuple("iris:2", two.digest()));
        assertThat(store.resolve("iris:1").digest()).isNotEqualTo(one.digest()).isEqualTo(two.digest());
    }

    @Test
    void removes_only_the_named_tag_when_untagged() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");
        store.tag(ImageRef.parse("iris:latest"), iris.manifestDescriptor());

        assertThat(store.untag(ImageRef.parse("iris"))).isTrue();
        assertThat(store.untag(ImageRef.parse("iris"))).isFalse();
        assertThat(store.untag(ImageRef.parse("nope:1"))).isFalse();

        assertThat(store.list()).extracting(t -> t.ref().toString()).containsExactly("iris:1");
        assertThat(store.hasBlob(iris.digest())).isTrue();
    }

    @Test
    void refuses_to_tag_without_a_tag_or_with_a_manifest_not_in_the_store() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");
        Descriptor absent = Descriptor.of(MediaTypes.OCI_MANIFEST, Digest.sha256(new byte[] {9}), 1);

        assertThatThrownBy(() -> store.tag(ImageRef.parse("iris@" + iris.digest()), iris.manifestDescriptor()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tag");
        assertThatThrownBy(() -> store.tag(ImageRef.parse("x:1"), absent))
                .isInstanceOf(ImageNotFoundException.class).hasMessageContaining(absent.digest().toString());
        assertThatThrownBy(() -> store.tag(ImageRef.parse("x:1"), Descriptor.of(MediaTypes.OCI_LAYER, iris.manifest().layers().get(0).digest(), 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(MediaTypes.OCI_LAYER);
        assertThat(store.list()).hasSize(1);
    }

    @Test
    void tags_by_name_and_tag_when_the_reference_also_carries_the_digest() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");

        store.tag(ImageRef.parse("iris:pinned@" + iris.digest()), iris.manifestDescriptor());

        assertThat(store.resolve("iris:pinned").digest()).isEqualTo(iris.digest());
        assertThat(store.list()).extracting(t -> t.ref().toString()).containsExactly("iris:1", "iris:pinned");
        StoredImage other = put(store, "other:1", "b");
        assertThatThrownBy(() -> store.tag(ImageRef.parse("iris:2@" + iris.digest()), other.manifestDescriptor()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(iris.digest().toString());
    }

    @Test
    void lists_tags_in_name_order_whatever_the_order_they_were_made() throws IOException {
        StoredImage image = put(store, "zeta:1", "a");
        for (String ref : List.of("beta:2", "localhost:5000/alpha:1", "alpha:1", "beta:10", "alpha:0")) {
            store.tag(ImageRef.parse(ref), image.manifestDescriptor());
        }
        store.untag(ImageRef.parse("beta:2"));

        assertThat(store.list()).extracting(t -> t.ref().toString())
                .containsExactly("alpha:0", "alpha:1", "beta:10", "localhost:5000/alpha:1", "zeta:1");
    }

    @Test
    void lists_an_index_written_by_another_tool_skipping_names_it_cannot_read() throws IOException {
        StoredImage image = put(store, "iris:1", "a");
        Descriptor plain = image.manifestDescriptor();
        String entry = "{\"mediaType\":\"" + plain.mediaType() + "\",\"digest\":\"" + plain.digest() + "\",\"size\":" + plain.size();
        // skopeo writes bare tags; an untagged entry and one with a name we cannot parse must not break 'images'
        Files.writeString(home.resolve("images/index.json"), "{\"schemaVersion\":2,\"manifests\":["
                + entry + ",\"annotations\":{\"" + ImageStore.REF_NAME + "\":\"zz:2\"}},"
                + entry + "},"
                + entry + ",\"annotations\":{\"" + ImageStore.REF_NAME + "\":\"Not A Name\"}},"
                + entry + ",\"annotations\":{\"" + ImageStore.REF_NAME + "\":\"iris:1\"}}]}");

        assertThat(store.list()).extracting(t -> t.ref().toString()).containsExactly("iris:1", "zz:2");
        assertThat(store.collectGarbage(true).blobs()).isZero();
    }

    // ------------------------------------------------------------------ resolve

    @Test
    void resolves_tags_names_digests_and_id_prefixes() throws IOException {
        StoredImage one = put(store, "iris:1", "a");
        StoredImage latest = put(store, "iris:latest", "b");
        StoredImage remote = put(store, "localhost:5000/team/iris:v1", "c");
        String hex = one.digest().hex();

        assertThat(store.resolve("iris:1").digest()).isEqualTo(one.digest());
        assertThat(store.resolve("iris").digest()).isEqualTo(latest.digest());
        assertThat(store.resolve("iris").ref()).isEqualTo(ImageRef.parse("iris:latest"));
        assertThat(store.resolve("localhost:5000/team/iris:v1").digest()).isEqualTo(remote.digest());
        assertThat(store.resolve("iris@" + one.digest()).digest()).isEqualTo(one.digest());
        assertThat(store.resolve(one.digest().toString()).digest()).isEqualTo(one.digest());
        assertThat(store.resolve(hex).digest()).isEqualTo(one.digest());
        assertThat(store.resolve(hex.substring(0, 12)).digest()).isEqualTo(one.digest());
        assertThat(store.resolve("sha256:" + hex.substring(0, 12)).digest()).isEqualTo(one.digest());
        assertThat(store.resolve(uniquePrefix(one.digest(), latest.digest(), remote.digest())).digest()).isEqualTo(one.digest());
        assertThat(store.resolve(hex.substring(0, 12)).ref()).isEqualTo(ImageRef.parse("iris:1"));
    }

    @Test
    void says_what_was_not_found_when_nothing_matches() throws IOException {
        StoredImage one = put(store, "iris:1", "a");

        for (String text : List.of("iris:2", "iris", "other", "ffff" + "0".repeat(8), "other@" + Digest.sha256(new byte[] {7}))) {
            assertThat(store.find(text)).as(text).isEmpty();
            assertThatThrownBy(() -> store.resolve(text)).isInstanceOf(ImageNotFoundException.class).hasMessageContaining("'" + text + "'");
        }
    }

    @Test
    void refuses_an_id_prefix_that_matches_several_images() throws IOException {
        Map<String, byte[]> byPrefix = new HashMap<>();
        byte[][] pair = null;
        for (int i = 0; pair == null; i++) {
            byte[] manifest = TestImages.manifest(store, "same", Map.of("n", Integer.toString(i)), "layer");
            byte[] earlier = byPrefix.putIfAbsent(Digest.sha256(manifest).hex().substring(0, 4), manifest);
            if (earlier != null) {
                pair = new byte[][] {earlier, manifest};
            }
        }
        StoredImage a = store.putImage(ImageRef.parse("a:1"), pair[0], MediaTypes.OCI_MANIFEST);
        StoredImage b = store.putImage(ImageRef.parse("b:1"), pair[1], MediaTypes.OCI_MANIFEST);
        String shared = a.digest().hex().substring(0, 4);

        assertThatThrownBy(() -> store.resolve(shared))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ambiguous").hasMessageContaining(shared);
        assertThat(store.resolve(uniquePrefix(a.digest(), b.digest())).digest()).isEqualTo(a.digest());

        // a name wins over an ID prefix, as in Docker
        StoredImage named = put(store, shared + ":latest", "other");
        assertThat(store.resolve(shared).digest()).isEqualTo(named.digest());
    }

    @Test
    void prefers_a_tag_over_an_image_whose_id_starts_with_the_same_characters() throws IOException {
        StoredImage a = put(store, "a:1", "a");
        String prefix = a.digest().hex().substring(0, 6);
        StoredImage named = put(store, prefix, "b");

        assertThat(store.resolve(prefix).digest()).isEqualTo(named.digest());
        assertThat(store.resolve("sha256:" + prefix).digest()).isEqualTo(a.digest());
    }

    @Test
    void ignores_id_prefixes_shorter_than_four_characters() throws IOException {
        StoredImage a = put(store, "a:1", "a");

        assertThat(store.find(a.digest().hex().substring(0, 3))).isEmpty();
    }

    // ------------------------------------------------------------------ garbage

    @Test
    void collects_only_blobs_that_no_tag_reaches() throws IOException {
        StoredImage one = put(store, "one:1", "shared base", "one's code");
        StoredImage two = put(store, "two:1", "shared base", "two's code");
        Digest stray = store.writeBlob("stray".getBytes(StandardCharsets.UTF_8));
        Files.write(home.resolve("ingest").resolve("abandoned.tmp"), new byte[10]);

        ImageStore.Usage freed = store.collectGarbage(true);

        assertThat(freed.blobs()).isEqualTo(1);
        assertThat(freed.bytes()).isEqualTo(5);
        assertThat(store.hasBlob(stray)).isFalse();
        assertThat(ingest()).isEmpty();
        assertThat(blobs()).containsExactlyInAnyOrderElementsOf(blobsOf(one, two));

        store.untag(ImageRef.parse("one:1"));
        store.collectGarbage(true);

        assertThat(blobs()).containsExactlyInAnyOrderElementsOf(blobsOf(two));
        assertThat(store.resolve("two:1").config().diffIds()).hasSize(2);
        assertThat(store.readBlob(two.manifest().layers().get(0).digest())).asString().isEqualTo("shared base");
    }

    @Test
    void keeps_an_image_reachable_under_any_of_its_tags() throws IOException {
        StoredImage iris = put(store, "iris:1", "a", "b");
        store.tag(ImageRef.parse("iris:2"), iris.manifestDescriptor());
        store.untag(ImageRef.parse("iris:1"));

        assertThat(store.collectGarbage(true).blobs()).isZero();
        assertThat(blobs()).containsExactlyInAnyOrderElementsOf(blobsOf(iris));
    }

    @Test
    void counts_images_blobs_and_reclaimable_bytes() throws IOException {
        assertThat(store.usage()).isEqualTo(new ImageStore.Usage(0, 0, 0, 0, 0));
        StoredImage one = put(store, "one:1", "base", "code");
        store.tag(ImageRef.parse("one:2"), one.manifestDescriptor());
        store.writeBlob("12345678".getBytes(StandardCharsets.UTF_8));

        ImageStore.Usage usage = store.usage();

        long live = sizes(blobsOf(one));
        assertThat(usage.images()).isEqualTo(2);
        assertThat(usage.blobs()).isEqualTo(4 + 1);
        assertThat(usage.bytes()).isEqualTo(live + 8);
        assertThat(usage.unreferencedBlobs()).isEqualTo(1);
        assertThat(usage.reclaimableBytes()).isEqualTo(8);

        store.untag(ImageRef.parse("one:1"));
        store.untag(ImageRef.parse("one:2"));
        assertThat(store.usage()).isEqualTo(new ImageStore.Usage(0, 5, live + 8, 5, live + 8));
        assertThat(store.collectGarbage(true)).isEqualTo(new ImageStore.Usage(0, 5, live + 8, 5, live + 8));
        assertThat(store.usage()).isEqualTo(new ImageStore.Usage(0, 0, 0, 0, 0));
    }

    private Set<String> blobsOf(StoredImage... images) {
        return Stream.of(images).flatMap(i -> Stream.concat(
                        Stream.of(i.digest(), i.manifest().config().digest()),
                        i.manifest().layers().stream().map(Descriptor::digest)))
                .map(Digest::hex).collect(Collectors.toSet());
    }

    private long sizes(Set<String> hexes) throws IOException {
        long total = 0;
        for (String hex : hexes) {
            total += Files.size(store.blobPath(Digest.ofHex(hex)));
        }
        return total;
    }

    private static String uniquePrefix(Digest target, Digest... others) {
        for (int n = 4; ; n++) {
            String prefix = target.hex().substring(0, n);
            if (Stream.of(others).noneMatch(o -> o.hex().startsWith(prefix))) {
                return prefix;
            }
        }
    }

    private List<String> ingest() throws IOException {
        try (Stream<Path> s = Files.list(home.resolve("ingest"))) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private List<String> blobs() throws IOException {
        try (Stream<Path> s = Files.list(home.resolve("images/blobs/sha256"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
