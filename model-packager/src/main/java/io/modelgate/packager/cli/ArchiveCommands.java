package io.modelgate.packager.cli;

import io.modelgate.packager.archive.Archives;
import io.modelgate.packager.archive.ImportOptions;
import io.modelgate.packager.archive.LoadedImage;
import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.store.StoredImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** save, load and import, named and behaving as Docker's. */
final class ArchiveCommands {
    private ArchiveCommands() {
    }

    @Command(name = "save", description = {
            "Save images to a tar archive that both 'docker load' and OCI tools (skopeo oci-archive:, umoci) read.",
            "Writes to stdout unless -o is given and stdout is not a terminal."})
    static final class Save extends StoreCommands.Base {
        @Parameters(arity = "1..*", paramLabel = "REF", description = "Image reference or ID.")
        List<String> refs;

        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to FILE instead of stdout.")
        Path output;

        @Override
        public Integer call() throws Exception {
            Archives archives = Archives.of(store());
            if (output == null) {
                if (Terminals.isTerminal(1)) {
                    throw new IllegalArgumentException("refusing to write an image archive to a terminal; use -o FILE or redirect stdout");
                }
                PrintStream stdout = System.out;
                OutputStream out = new BufferedOutputStream(stdout, 1 << 16);
                archives.save(refs, out);
                out.flush();
                if (stdout.checkError()) {
                    throw new IOException("writing the archive to stdout failed");
                }
                return 0;
            }
            Path target = output.toAbsolutePath();
            Path temp = target.resolveSibling("." + target.getFileName() + "." + UUID.randomUUID() + ".tmp");
            try {
                try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(temp), 1 << 16)) {
                    archives.save(refs, out);
                }
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
            return 0;
        }
    }

    @Command(name = "load", description = {
            "Load images from a tar archive: an OCI image layout or a docker-archive (docker save), gzip-compressed or not.",
            "Reads stdin unless -i is given."})
    static final class Load extends StoreCommands.Base {
        @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "Read from FILE instead of stdin.")
        Path input;

        @Override
        public Integer call() throws Exception {
            List<LoadedImage> loaded;
            String source = input == null ? "stdin" : input.toString();
            try (InputStream in = open(input == null ? "-" : input.toString(), "load")) {
                loaded = Archives.of(store()).load(in, source);
            } catch (ImageFormatException e) {
                throw new ImageFormatException("cannot load " + source + ": " + e.getMessage() + "; no image was loaded", e);
            }
            for (LoadedImage image : loaded) {
                out().println(image.named() ? "Loaded image: " + image.ref() : "Loaded image ID: " + image.manifest().digest());
            }
            List<String> unnamed = new ArrayList<>();
            loaded.stream().filter(i -> !i.named()).forEach(i -> unnamed.add(i.manifest().digest().toString()));
            if (!unnamed.isEmpty()) {
                err().println("note: the archive names no repository for " + String.join(", ", unnamed)
                        + "; tag it with 'modelgate tag NAME@DIGEST NAME:TAG' before 'modelgate system prune' removes it");
            }
            out().flush();
            err().flush();
            return 0;
        }
    }

    @Command(name = "import", description = {
            "Create a one-layer image from a root filesystem tar (gzip- or zstd-compressed or not), as 'docker import' does.",
            "FILE '-' reads stdin. Prints the new image's digest."})
    static final class Import extends StoreCommands.Base {
        @Parameters(index = "0", paramLabel = "FILE|-", description = "The root filesystem tar.")
        String file;

        @Parameters(index = "1", paramLabel = "REF", description = "The name:tag to give the image.")
        String ref;

        @Option(names = {"-c", "--change"}, paramLabel = "INSTRUCTION",
                description = "Apply a Dockerfile instruction to the config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR.")
        List<String> changes = new ArrayList<>();

        @Option(names = {"-m", "--message"}, paramLabel = "TEXT", description = "A comment for the image's history.")
        String message;

        @Override
        public Integer call() throws Exception {
            ImageRef target = ImageRef.parse(ref);
            ImportOptions options = ImportOptions.reproducible().withChanges(changes).withMessage(message);
            String source = "-".equals(file) ? "stdin" : file;
            StoredImage image;
            try (InputStream in = open(file, "import")) {
                image = Archives.of(store()).importRootfs(in, source, target, options);
            } catch (ImageFormatException e) {
                throw new ImageFormatException("cannot import " + source + ": " + e.getMessage(), e);
            }
            out().println(image.digest());
            out().flush();
            return 0;
        }
    }

    private static InputStream open(String file, String verb) throws IOException {
        if ("-".equals(file)) {
            if (Terminals.isTerminal(0)) {
                throw new IllegalArgumentException("requested " + verb + " from stdin, but stdin is a terminal; name a file or redirect stdin");
            }
            return new java.io.FilterInputStream(System.in) {
                @Override
                public void close() {
                    // stdin stays open for whoever owns it
                }
            };
        }
        return Files.newInputStream(Path.of(file));
    }
}
