package io.modelgate.packager.cli;

import io.modelgate.packager.testing.BusyboxRootfs;
import io.modelgate.packager.testing.Cli;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's walk-through on the shipped example, through the command line. */
class ExamplesIT {
    private static final Path HELLO = Path.of("..", "examples", "hello").toAbsolutePath().normalize();

    @TempDir
    Path tmp;

    private String cli(Path home, String... args) {
        Cli.Run run = Cli.inHome(home, args);
        assertThat(run.status()).as(String.join(" ", args) + "\n" + run.err()).isZero();
        return run.lastLine();
    }

    @Test
    void packs_the_hello_example_to_the_same_digest_in_two_empty_stores() throws Exception {
        assertThat(HELLO.resolve("model.yaml")).exists();
        Path rootfs = BusyboxRootfs.create().writeTo(tmp.resolve("busybox.tar"));
        String first = null;
        for (String name : new String[] {"one", "two"}) {
            Path home = tmp.resolve(name);
            cli(home, "import", rootfs.toString(), "busybox:latest");
            String digest = cli(home, "pack", HELLO.toString());
            assertThat(digest).matches("sha256:[a-f0-9]{64}");
            if (first == null) {
                first = digest;
            } else {
                assertThat(digest).isEqualTo(first);
            }
        }
        Path copy = tmp.resolve("somewhere-else/hello");
        Files.createDirectories(copy);
        try (var files = Files.walk(HELLO)) {
            for (Path p : files.toList()) {
                Path target = copy.resolve(HELLO.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        Path third = tmp.resolve("three");
        cli(third, "import", rootfs.toString(), "busybox:latest");
        assertThat(cli(third, "pack", copy.toString())).isEqualTo(first);
    }
}
