package io.modelgate.packager.archive;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.BusyboxRootfs;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Processes;
import io.modelgate.packager.testing.SampleImages;
import io.modelgate.packager.testing.SampleImages.LayerSpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The archives modelgate writes, read by real OCI tools (skopeo, umoci), and the archives they write, read by modelgate. */
class ArchiveToolsIT {
    @TempDir
    Path tmp;
    ImageStore store;
    Path skopeo;

    @BeforeEach
    void setUp() {
        skopeo = ExternalTools.require("skopeo", "skopeo");
        store = ImageStore.open(tmp.resolve("home"));
    }

    @Test
    void skopeo_reads_a_saved_archive_as_docker_archive_and_as_oci_archive() throws Exception {
        StoredImage image = SampleImages.create(store, "iris:1", List.of(
                new LayerSpec(Map.of("srv/server.py", "print('serving')"), Compression.GZIP),
                new LayerSpec(Map.of("model/weights.bin", "weights"), Compression.ZSTD)));
        Path archive = save("iris:1");
        byte[] manifest = store.readBlob(image.digest());
        byte[] config = store.readBlob(image.manifest().config().digest());

        JsonNode oci = inspect("oci-archive:" + archive);
        assertThat(oci.get("Digest").asText()).isEqualTo(image.digest().toString());
        assertThat(texts(oci.get("Layers"))).containsExactlyElementsOf(
                image.manifest().layers().stream().map(l -> l.digest().toString()).toList());
        assertThat(oci.get("Os").asText()).isEqualTo("linux");
        assertThat(oci.get("Architecture").asText()).isEqualTo(Descriptor.Platform.hostArchitecture());
        assertThat(skopeo("inspect", "--raw", "oci-archive:" + archive)).isEqualTo(new String(manifest, StandardCharsets.UTF_8));

        // docker-archive: skopeo serves the layers uncompressed, so it reports the config's diff_ids
        JsonNode docker = inspect("docker-archive:" + archive);
        assertThat(texts(docker.get("Layers"))).containsExactlyElementsOf(
                image.config().diffIds().stream().map(Digest::toString).toList());
        assertThat(docker.get("Os").asText()).isEqualTo("linux");
        assertThat(skopeo("inspect", "--config", "--raw", "docker-archive:" + archive)).isEqualTo(new String(config, StandardCharsets.UTF_8));
        assertThat(skopeo("inspect", "--config", "--raw", "oci-archive:" + archive)).isEqualTo(new String(config, StandardCharsets.UTF_8));
    }

    @Test
    void umoci_unpacks_the_saved_archive_after_skopeo_copies_it_into_an_oci_layout() throws Exception {
        // umoci 0.4 cannot unpack zstd layers, so the OCI side is tried with gzip; through docker-archive skopeo
        // serves every layer uncompressed, zstd included.
        SampleImages.create(store, "iris:gzip", List.of(
                new LayerSpec(Map.of("srv/server.py", "print('serving')"), Compression.GZIP),
                new LayerSpec(Map.of("model/weights.bin", "the weights"), Compression.GZIP)));
        SampleImages.create(store, "iris:zstd", List.of(
                new LayerSpec(Map.of("srv/server.py", "print('serving')"), Compression.GZIP),
                new LayerSpec(Map.of("model/weights.bin", "the weights"), Compression.ZSTD)));
        Path layout = tmp.resolve("layout");

        skopeo("--insecure-policy", "copy", "oci-archive:" + save("iris:gzip"), "oci:" + layout + ":from-oci");
        skopeo("--insecure-policy", "copy", "docker-archive:" + save("iris:zstd"), "oci:" + layout + ":from-docker");

        for (String tag : List.of("from-oci", "from-docker")) {
            Path rootfs = unpack(layout, tag);
            assertThat(rootfs.resolve("model/weights.bin")).as(tag).hasContent("the weights");
            assertThat(rootfs.resolve("srv/server.py")).as(tag).hasContent("print('serving')");
        }
    }

    @Test
    void load_reads_the_legacy_docker_archive_skopeo_writes() throws Exception {
        StoredImage image = SampleImages.create(store, "iris:1", Map.of("model/weights.bin", "the weights"));
        Path archive = save("iris:1");
        Path dockerArchive = tmp.resolve("docker.tar");
        skopeo("--insecure-policy", "copy", "oci-archive:" + archive, "docker-archive:" + dockerArchive + ":iris:2");
        ImageStore target = ImageStore.open(tmp.resolve("target"));

        List<LoadedImage> loaded;
        try (InputStream in = Files.newInputStream(dockerArchive)) {
            loaded = Archives.of(target).load(in, dockerArchive.toString());
        }

        assertThat(loaded).extracting(l -> l.ref().toString()).containsExactly("iris:2");
        StoredImage copy = target.resolve("iris:2");
        assertThat(copy.manifest().config().digest()).isEqualTo(image.manifest().config().digest());
        assertThat(copy.config().diffIds()).isEqualTo(image.config().diffIds());
        Descriptor layer = copy.manifest().layers().get(0);
        assertThat(layer.mediaType()).isEqualTo(MediaTypes.OCI_LAYER);
        assertThat(layer.digest()).isEqualTo(image.config().diffIds().get(0));
        assertThat(TarEdits.text(target.readBlob(layer.digest()), "model/weights.bin")).isEqualTo("the weights");
    }

    @Test
    void load_reads_an_oci_layout_skopeo_wrote_and_gnu_tar_packed() throws Exception {
        StoredImage image = SampleImages.create(store, "iris:1", Map.of("model/weights.bin", "the weights"));
        Path layout = tmp.resolve("layout");
        skopeo("--insecure-policy", "copy", "oci-archive:" + save("iris:1"), "oci:" + layout + ":iris:1");
        Path tar = tmp.resolve("layout.tar.gz");
        Processes.runOk(List.of("tar", "-C", layout.toString(), "-czf", tar.toString(), "."));
        ImageStore target = ImageStore.open(tmp.resolve("target"));

        List<LoadedImage> loaded;
        try (InputStream in = Files.newInputStream(tar)) {
            loaded = Archives.of(target).load(in, tar.toString());
        }

        assertThat(loaded).extracting(l -> l.ref().toString()).containsExactly("iris:1");
        assertThat(target.resolve("iris:1").digest()).isEqualTo(image.digest());
    }

    @Test
    void busybox_rootfs_imports_to_the_same_digest_twice_and_unpacks_to_a_working_root() throws Exception {
        Path rootfsTar = BusyboxRootfs.create().withFile("etc/motd", "modelgate\n").writeTo(tmp.resolve("rootfs.tar"));
        Path gzipped = tmp.resolve("rootfs.tar.gz");
        try (InputStream in = Files.newInputStream(rootfsTar); OutputStream out = new GZIPOutputStream(Files.newOutputStream(gzipped))) {
            in.transferTo(out);
        }
        ImportOptions options = ImportOptions.reproducible().withCreated(Instant.EPOCH).withChanges(List.of("CMD [\"/bin/sh\"]"));

        Digest first = importFile(store, rootfsTar, "busybox:1", options);
        Digest second = importFile(store, rootfsTar, "busybox:2", options);
        Digest fromGzip = importFile(ImageStore.open(tmp.resolve("other")), gzipped, "busybox:1", options);

        assertThat(second).isEqualTo(first);
        assertThat(fromGzip).isEqualTo(first);
        Path layout = tmp.resolve("layout");
        skopeo("--insecure-policy", "copy", "oci-archive:" + save("busybox:1"), "oci:" + layout + ":busybox");
        Path rootfs = unpack(layout, "busybox");
        assertThat(Files.readSymbolicLink(rootfs.resolve("bin/sh"))).isEqualTo(Path.of("busybox"));
        assertThat(rootfs.resolve("etc/motd")).hasContent("modelgate");
        assertThat(Processes.runOk(List.of(rootfs.resolve("bin/sh").toString(), "-c", "echo hello from busybox")).stdout())
                .isEqualTo("hello from busybox\n");
    }

    // ------------------------------------------------------------------ helpers

    private Path save(String... refs) throws IOException {
        Path file = tmp.resolve(String.join("_", refs).replace(':', '-') + ".tar");
        try (OutputStream out = Files.newOutputStream(file)) {
            Archives.of(store).save(List.of(refs), out);
        }
        return file;
    }

    private static Digest importFile(ImageStore into, Path tar, String ref, ImportOptions options) throws IOException {
        try (InputStream in = Files.newInputStream(tar)) {
            return Archives.of(into).importRootfs(in, tar.toString(), ImageRef.parse(ref), options).digest();
        }
    }

    private Path unpack(Path layout, String tag) throws Exception {
        Path umoci = ExternalTools.require("umoci", "umoci");
        Path bundle = tmp.resolve("bundle-" + tag);
        List<String> command = new ArrayList<>(List.of(umoci.toString(), "unpack"));
        if (!"root".equals(System.getProperty("user.name"))) {
            command.add("--rootless");
        }
        command.addAll(List.of("--image", layout + ":" + tag, bundle.toString()));
        Processes.runOk(command);
        return bundle.resolve("rootfs");
    }

    private JsonNode inspect(String transport) throws Exception {
        return Json.mapper().readTree(skopeo("inspect", transport));
    }

    private String skopeo(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(skopeo.toString()));
        command.addAll(List.of(args));
        return Processes.runOk(command).stdout();
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
