package io.modelgate.packager.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.io.Sizes;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.modelgate.packager.testing.TestImages.put;
import static org.assertj.core.api.Assertions.assertThat;

class StoreCommandsTest {
    @TempDir
    Path home;
    ImageStore store;

    record Result(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    @BeforeEach
    void openStore() {
        store = ImageStore.open(home);
    }

    Result modelgate(String... args) {
        List<String> all = new ArrayList<>(List.of("--home", home.toString()));
        all.addAll(List.of(args));
        return execute(all.toArray(String[]::new));
    }

    static Result execute(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Result(exit, out.toString(), err.toString());
    }

    // ------------------------------------------------------------------ images

    @Test
    void lists_only_the_header_when_the_store_is_empty() {
        Result r = modelgate("images");

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).hasSize(1);
        assertThat(r.lines().get(0).split("\\s{2,}|\\s(?=[A-Z])")).contains("REPOSITORY", "TAG", "CREATED", "SIZE");
        assertThat(r.out()).contains("IMAGE ID");
    }

    @Test
    void lists_each_tag_with_repository_tag_id_and_size_in_name_order() throws IOException {
        StoredImage iris = put(store, "iris:1", "12345", "67890");
        put(store, "localhost:5000/team/bert:v2", "x");
        store.tag(ImageRef.parse("iris:latest"), iris.manifestDescriptor());

        Result r = modelgate("images");

        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEmpty();
        List<String[]> rows = r.lines().stream().skip(1).map(l -> l.trim().split("\\s+")).toList();
        assertThat(rows).extracting(row -> row[0] + " " + row[1])
                .containsExactly("iris 1", "iris latest", "localhost:5000/team/bert v2");
        String[] first = rows.get(0);
        assertThat(first[2]).isEqualTo(iris.digest().shortHex());
        assertThat(String.join(" ", first)).contains("ago");
        assertThat(first[first.length - 1]).isEqualTo(iris.manifest().totalSize() + "B");
    }

    @Test
    void prints_only_image_ids_when_quiet() throws IOException {
        StoredImage a = put(store, "a:1", "a");
        StoredImage b = put(store, "b:1", "b");

        Result r = modelgate("images", "-q");

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).containsExactly(a.digest().shortHex(), b.digest().shortHex());
    }

    @Test
    void uses_the_home_given_after_the_subcommand_too(@TempDir Path other) throws IOException {
        put(ImageStore.open(other), "elsewhere:1", "z");
        put(store, "here:1", "y");

        Result before = execute("images", "--home", other.toString());
        Result after = execute("--home", other.toString(), "images");

        assertThat(before.exit()).isZero();
        assertThat(repositories(before)).containsExactly("elsewhere");
        assertThat(after.out()).isEqualTo(before.out());
        assertThat(repositories(modelgate("images"))).containsExactly("here");
        assertThat(other.resolve("images/index.json")).exists();
    }

    // ------------------------------------------------------------------ tag and inspect

    @Test
    void gives_an_image_another_name_when_tagged() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");

        Result r = modelgate("tag", "iris:1", "localhost:5000/iris:prod");

        assertThat(r.exit()).isZero();
        assertThat(store.resolve("localhost:5000/iris:prod").digest()).isEqualTo(iris.digest());
        assertThat(modelgate("tag", iris.digest().shortHex(), "iris").exit()).isZero();
        assertThat(store.resolve("iris:latest").digest()).isEqualTo(iris.digest());
    }

    @Test
    void fails_naming_the_source_when_tagging_an_unknown_image() {
        Result r = modelgate("tag", "nope:1", "iris:2");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("'nope:1'");
        assertThat(r.out()).isEmpty();
    }

    @Test
    void fails_naming_the_target_when_it_is_not_a_reference() throws IOException {
        put(store, "iris:1", "a");

        Result r = modelgate("tag", "iris:1", "Iris:2");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("invalid image reference 'Iris:2'");
    }

    @Test
    void prints_manifest_and_config_as_json_when_inspected() throws Exception {
        StoredImage iris = put(store, "iris:1", "a", "bb");
        StoredImage other = put(store, "other:1", "c");

        Result r = modelgate("inspect", "iris:1", other.digest().hex().substring(0, 10));

        assertThat(r.exit()).isZero();
        JsonNode doc = Json.mapper().readTree(r.out());
        assertThat(doc.isArray()).isTrue();
        assertThat(doc).hasSize(2);
        JsonNode first = doc.get(0);
        assertThat(first.path("ref").asText()).isEqualTo("iris:1");
        assertThat(first.path("digest").asText()).isEqualTo(iris.digest().toString());
        assertThat(first.path("size").asLong()).isEqualTo(iris.manifest().totalSize());
        assertThat(first.path("manifest").path("layers")).hasSize(2);
        assertThat(first.path("config").path("rootfs").path("diff_ids")).hasSize(2);
        assertThat(first.path("config").path("config").path("Cmd").get(0).asText()).isEqualTo("serve");
        assertThat(doc.get(1).path("digest").asText()).isEqualTo(other.digest().toString());
    }

    @Test
    void fails_when_inspecting_an_unknown_image() {
        Result r = modelgate("inspect", "ghost");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no image 'ghost'");
    }

    // ------------------------------------------------------------------ rmi

    @Test
    void fails_with_a_message_when_removing_an_unknown_image() {
        Result r = modelgate("rmi", "ghost:1");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("no image 'ghost:1'");
    }

    @Test
    void deletes_blobs_no_other_tag_uses_and_keeps_shared_ones() throws IOException {
        StoredImage iris = put(store, "iris:1", "shared base", "iris code");
        StoredImage bert = put(store, "bert:1", "shared base", "bert code");

        Result r = modelgate("rmi", "iris:1");

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).containsExactly("Untagged: iris:1", "Deleted: " + iris.digest());
        assertThat(blobs()).containsExactlyInAnyOrderElementsOf(blobsOf(bert));
        assertThat(store.hasBlob(iris.digest())).isFalse();
        assertThat(store.readBlob(bert.manifest().layers().get(0).digest())).asString().isEqualTo("shared base");
        assertThat(store.resolve("bert:1").config().diffIds()).hasSize(2);
    }

    @Test
    void only_untags_when_the_image_has_another_tag() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");
        store.tag(ImageRef.parse("iris:latest"), iris.manifestDescriptor());

        Result r = modelgate("rmi", "iris");

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).containsExactly("Untagged: iris:latest");
        assertThat(blobs()).containsExactlyInAnyOrderElementsOf(blobsOf(iris));
        assertThat(store.resolve("iris:1").digest()).isEqualTo(iris.digest());
    }

    @Test
    void removes_the_image_when_given_its_id_and_it_has_one_tag() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");

        Result r = modelgate("rmi", iris.digest().shortHex());

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).containsExactly("Untagged: iris:1", "Deleted: " + iris.digest());
        assertThat(blobs()).isEmpty();
    }

    @Test
    void removes_every_tag_of_one_repository_when_given_the_id() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");
        store.tag(ImageRef.parse("iris:2"), iris.manifestDescriptor());

        Result r = modelgate("rmi", "sha256:" + iris.digest().hex().substring(0, 8));

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).containsExactly("Untagged: iris:1", "Untagged: iris:2", "Deleted: " + iris.digest());
        assertThat(blobs()).isEmpty();
    }

    @Test
    void refuses_an_id_tagged_in_several_repositories_unless_forced() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");
        store.tag(ImageRef.parse("team/iris:2"), iris.manifestDescriptor());

        Result refused = modelgate("rmi", iris.digest().shortHex());

        assertThat(refused.exit()).isEqualTo(1);
        assertThat(refused.err()).contains(iris.digest().shortHex()).contains("iris:1").contains("team/iris:2").contains("-f");
        assertThat(store.list()).hasSize(2);

        Result forced = modelgate("rmi", "-f", iris.digest().shortHex());

        assertThat(forced.exit()).isZero();
        assertThat(forced.lines()).containsExactly("Untagged: iris:1", "Untagged: team/iris:2", "Deleted: " + iris.digest());
        assertThat(store.list()).isEmpty();
        assertThat(blobs()).isEmpty();
    }

    @Test
    void removes_only_tags_of_that_name_when_given_name_at_digest() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");
        store.tag(ImageRef.parse("other:1"), iris.manifestDescriptor());

        Result r = modelgate("rmi", "iris@" + iris.digest());

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).containsExactly("Untagged: iris:1");
        assertThat(store.list()).extracting(t -> t.ref().toString()).containsExactly("other:1");
        assertThat(blobs()).containsExactlyInAnyOrderElementsOf(blobsOf(iris));
    }

    @Test
    void removes_the_images_it_finds_and_fails_for_the_others() throws IOException {
        put(store, "iris:1", "a");
        put(store, "bert:1", "b");

        Result r = modelgate("rmi", "iris:1", "ghost", "Bad Ref", "bert:1");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.out()).contains("Untagged: iris:1").contains("Untagged: bert:1");
        assertThat(r.err()).contains("'ghost'").contains("'Bad Ref'");
        assertThat(store.list()).isEmpty();
    }

    @Test
    void keeps_blobs_and_says_so_when_another_writer_holds_the_store() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");
        Result r;
        try (ImageStore.Session session = ImageStore.open(home).writeSession()) {
            r = modelgate("rmi", "iris:1");
        }

        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Untagged: iris:1");
        assertThat(r.err()).contains("system prune");
        assertThat(blobs()).containsExactlyInAnyOrderElementsOf(blobsOf(iris));
        assertThat(modelgate("system", "prune").exit()).isZero();
        assertThat(blobs()).isEmpty();
    }

    // ------------------------------------------------------------------ system

    @Test
    void shows_images_blobs_and_reclaimable_space_in_df() throws IOException {
        StoredImage iris = put(store, "iris:1", "x".repeat(1500), "y".repeat(2000));
        store.writeBlob("z".repeat(1200).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        long live = Files.size(store.blobPath(iris.digest())) + iris.manifest().config().size() + 3500;

        Result r = modelgate("system", "df");

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).hasSize(3);
        assertThat(r.lines().get(0)).startsWith("TYPE").contains("TOTAL", "SIZE", "RECLAIMABLE");
        assertThat(r.lines().get(1).split("\\s+")).containsExactly("Images", "1");
        assertThat(r.lines().get(2).split("\\s+"))
                .containsExactly("Blobs", "5", Sizes.human(live + 1200), Sizes.human(1200), "(1", "blobs)");
    }

    @Test
    void deletes_unreferenced_blobs_and_reports_the_space_when_pruned() throws IOException {
        StoredImage iris = put(store, "iris:1", "a");
        store.writeBlob("z".repeat(1200).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        store.writeBlob("w".repeat(1300).getBytes(java.nio.charset.StandardCharsets.UTF_8));

        Result r = modelgate("system", "prune");

        assertThat(r.exit()).isZero();
        assertThat(r.lines()).containsExactly("Deleted 2 blobs", "Total reclaimed space: 2.50kB");
        assertThat(blobs()).containsExactlyInAnyOrderElementsOf(blobsOf(iris));
        assertThat(modelgate("system", "prune").lines()).containsExactly("Deleted 0 blobs", "Total reclaimed space: 0B");
    }

    @Test
    void prints_usage_and_exits_2_for_system_without_a_subcommand() {
        Result r = modelgate("system");

        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("df").contains("prune");
    }

    @Test
    void exits_2_on_an_unknown_option_or_command() {
        assertThat(modelgate("images", "--bogus").exit()).isEqualTo(2);
        assertThat(modelgate("frobnicate").exit()).isEqualTo(2);
    }

    @Test
    void formats_sizes_the_way_docker_does() {
        assertThat(Sizes.human(0)).isEqualTo("0B");
        assertThat(Sizes.human(999)).isEqualTo("999B");
        assertThat(Sizes.human(1000)).isEqualTo("1.00kB");
        assertThat(Sizes.human(2500)).isEqualTo("2.50kB");
        assertThat(Sizes.human(15_300_000)).isEqualTo("15.3MB");
        assertThat(Sizes.human(734_000_000)).isEqualTo("734MB");
        assertThat(Sizes.human(1_234_000_000_000L)).isEqualTo("1.23TB");
    }

    private static List<String> repositories(Result images) {
        return images.lines().stream().skip(1).map(l -> l.split("\\s+")[0]).toList();
    }

    private Set<String> blobsOf(StoredImage... images) {
        return Stream.of(images).flatMap(i -> Stream.concat(
                        Stream.of(i.digest(), i.manifest().config().digest()),
                        i.manifest().layers().stream().map(Descriptor::digest)))
                .map(Digest::hex).collect(Collectors.toSet());
    }

    private List<String> blobs() throws IOException {
        try (Stream<Path> s = Files.list(home.resolve("images/blobs/sha256"))) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }
}
