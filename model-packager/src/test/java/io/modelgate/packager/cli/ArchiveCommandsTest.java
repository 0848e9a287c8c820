package io.modelgate.packager.cli;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.SampleImages;
import io.modelgate.packager.testing.Cli;
import io.modelgate.packager.testing.Cli.Run;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ArchiveCommandsTest {
    @TempDir
    Path tmp;

    private Run run(Path home, String... args) {
        return Cli.inHome(home, args);
    }

    @Test
    void save_and_load_round_trip_through_a_file() throws Exception {
        Path a = tmp.resolve("a");
        Path b = tmp.resolve("b");
        StoredImage image = SampleImages.create(ImageStore.open(a), "iris:1", Map.of("model.onnx", "weights"));
        Path archive = tmp.resolve("iris.tar");

        assertThat(run(a, "save", "iris:1", "-o", archive.toString()).status()).isZero();
        Run load = run(b, "load", "-i", archive.toString());

        assertThat(load.status()).as(load.err()).isZero();
        assertThat(load.out()).isEqualTo("Loaded image: iris:1" + System.lineSeparator());
        assertThat(run(b, "images", "-q").out().strip()).isEqualTo(image.digest().shortHex());
        try (var files = Files.list(tmp)) {
            assertThat(files.map(p -> p.getFileName().toString())).as("no temporary file is left").containsExactlyInAnyOrder("a", "b", "iris.tar");
        }
    }

    @Test
    void save_writes_to_stdout_and_load_reads_stdin_without_a_file_option() throws Exception {
        Path a = tmp.resolve("a");
        SampleImages.create(ImageStore.open(a), "iris:1", Map.of("model.onnx", "weights"));
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream savedOut = System.out;
        InputStream savedIn = System.in;
        Run save;
        Run load;
        try {
            System.setOut(new PrintStream(stdout, true));
            save = run(a, "save", "iris:1");
            System.setIn(new ByteArrayInputStream(stdout.toByteArray()));
            load = run(tmp.resolve("b"), "load");
        } finally {
            System.setOut(savedOut);
            System.setIn(savedIn);
        }

        assertThat(save.status()).as(save.err()).isZero();
        assertThat(Files.readAllBytes(saveToFile(a))).isEqualTo(stdout.toByteArray());
        assertThat(load.status()).as(load.err()).isZero();
        assertThat(load.out()).contains("Loaded image: iris:1");
    }

    private Path saveToFile(Path home) {
        Path file = tmp.resolve("again.tar");
        assertThat(run(home, "save", "--output", file.toString(), "iris:1").status()).isZero();
        return file;
    }

    @Test
    void load_of_a_bad_archive_names_the_problem_and_adds_no_image() throws Exception {
        Path bad = Files.writeString(tmp.resolve("bad.tar"), "this is not an archive");

        Run load = run(tmp.resolve("b"), "load", "-i", bad.toString());

        assertThat(load.status()).isEqualTo(1);
        assertThat(load.err()).startsWith("modelgate: error: cannot load " + bad + ": " + bad + " is truncated or not a tar archive")
                .contains("no image was loaded");
        assertThat(run(tmp.resolve("b"), "images", "-q").out()).isEmpty();
    }

    @Test
    void save_of_an_unknown_image_fails_and_writes_no_file() {
        Path archive = tmp.resolve("out.tar");

        Run save = run(tmp.resolve("a"), "save", "nope:1", "-o", archive.toString());

        assertThat(save.status()).isEqualTo(1);
        assertThat(save.err()).contains("no image 'nope:1' in the store");
        assertThat(archive).doesNotExist();
    }

    @Test
    void import_prints_the_digest_last_and_applies_changes() throws Exception {
        Path rootfs = Files.write(tmp.resolve("rootfs.tar"), SampleImages.tar(Map.of("bin/tool", "tool")));
        Path home = tmp.resolve("home");

        Run first = run(home, "import", rootfs.toString(), "base:1", "-c", "CMD [\"/bin/tool\"]", "--change", "ENV A=b");
        Run second = run(home, "import", rootfs.toString(), "base:2", "-c", "CMD [\"/bin/tool\"]", "--change", "ENV A=b");

        assertThat(first.status()).as(first.err()).isZero();
        String[] lines = first.out().strip().split("\\R");
        Digest digest = Digest.parse(lines[lines.length - 1]);
        assertThat(second.out()).isEqualTo(first.out());
        StoredImage image = ImageStore.open(home).resolve("base:1");
        assertThat(image.digest()).isEqualTo(digest);
        assertThat(image.config().config().cmd()).containsExactly("/bin/tool");
        assertThat(image.config().config().env()).containsExactly("A=b");
    }

    @Test
    void import_refuses_a_file_that_is_not_a_tar() throws Exception {
        Path junk = Files.writeString(tmp.resolve("junk.bin"), "x".repeat(600));

        Run result = run(tmp.resolve("home"), "import", junk.toString(), "base:1");

        assertThat(result.status()).isEqualTo(1);
        assertThat(result.err()).contains("cannot import " + junk + ": " + junk + " is not a valid tar archive");
        assertThat(run(tmp.resolve("home"), "images", "-q").out()).isEmpty();
    }
}
