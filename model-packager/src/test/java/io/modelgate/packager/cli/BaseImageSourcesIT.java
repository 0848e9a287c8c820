package io.modelgate.packager.cli;

import io.modelgate.packager.archive.Archives;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Processes;
import io.modelgate.packager.testing.RegistryServer;
import io.modelgate.packager.testing.SampleImages;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** model.yaml's base: from the store, an OCI layout written by skopeo, an oci-archive and a docker-archive. */
class BaseImageSourcesIT {
    @TempDir
    Path tmp;
    StoredImage base;
    Path archive;

    @BeforeEach
    void makeBase() throws IOException {
        ImageStore source = ImageStore.open(tmp.resolve("source-home"));
        base = SampleImages.create(source, "tools:1", Map.of("bin/tool", "#!/bin/sh\n"));
        archive = tmp.resolve("tools.tar");
        try (OutputStream out = Files.newOutputStream(archive)) {
            Archives.of(source).save(List.of("tools:1"), out);
        }
    }

    private StoredImage packOn(String baseRef, String... extra) throws IOException {
        Path model = tmp.resolve("model");
        Files.createDirectories(model);
        Files.writeString(model.resolve("model.yaml"), "name: app\nbase: \"" + baseRef + "\"\nserver: {type: command, command: [/bin/tool]}\n");
        Path home = tmp.resolve("home-" + Math.abs(baseRef.hashCode()));
        StringWriter err = new StringWriter();
        List<String> args = new java.util.ArrayList<>(List.of("--home", home.toString(), "pack"));
        args.addAll(List.of(extra));
        args.add(model.toString());
        int status = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err)).execute(args.toArray(String[]::new));
        assertThat(status).as(err.toString()).isZero();
        return ImageStore.open(home).resolve("app:latest");
    }

    private void assertBuiltOnBase(StoredImage image) {
        assertThat(image.manifest().layers().get(0)).isEqualTo(base.manifest().layers().get(0));
        assertThat(image.config().diffIds().get(0)).isEqualTo(base.config().diffIds().get(0));
        assertThat(image.config().config().labels()).containsEntry("org.opencontainers.image.base.digest", base.digest().toString());
    }

    @Test
    void builds_on_a_docker_archive() throws IOException {
        assertBuiltOnBase(packOn("docker-archive:" + archive));
    }

    @Test
    void builds_on_an_oci_archive() throws IOException {
        assertBuiltOnBase(packOn("oci-archive:" + archive));
    }

    @Test
    void builds_on_an_oci_layout_directory_written_by_skopeo() throws Exception {
        Path skopeo = ExternalTools.require("skopeo", "skopeo");
        Path layout = tmp.resolve("layout");
        Processes.runOk(List.of(skopeo.toString(), "copy", "-q", "docker-archive:" + archive, "oci:" + layout + ":tools"));
        StoredImage image = packOn("oci:" + layout + ":tools");
        assertThat(image.config().diffIds().get(0)).isEqualTo(base.config().diffIds().get(0));
    }

    @Test
    void pulls_a_registry_base_that_is_not_in_the_store() throws Exception {
        ExternalTools.require("docker-registry", "docker-registry");
        try (RegistryServer registry = RegistryServer.in(tmp.resolve("registry")).start()) {
            String remote = registry.host() + "/base/tools:1";
            Path sourceHome = tmp.resolve("source-home");
            StringWriter err = new StringWriter();
            assertThat(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err))
                    .execute("--home", sourceHome.toString(), "tag", "tools:1", remote)).isZero();
            assertThat(Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err))
                    .execute("--home", sourceHome.toString(), "push", "--plain-http", remote)).as(err.toString()).isZero();
            assertBuiltOnBase(packOn(remote, "--plain-http"));
        }
    }
}
