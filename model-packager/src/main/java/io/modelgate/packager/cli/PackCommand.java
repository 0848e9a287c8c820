package io.modelgate.packager.cli;

import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.pack.PackOptions;
import io.modelgate.packager.pack.PackResult;
import io.modelgate.packager.pack.Packer;
import io.modelgate.packager.registry.ProgressListener;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;

@Command(name = "pack", description = {
        "Package a model directory (model.yaml + files) as a reproducible, layered OCI image.",
        "Prints progress to stderr and the image's manifest digest as the last line."})
final class PackCommand extends StoreCommands.Base {
    @Parameters(index = "0", paramLabel = "DIR", description = "The model directory (holds model.yaml).")
    Path dir;

    @Option(names = {"-t", "--tag"}, paramLabel = "NAME:TAG", description = "Image name (default: name:version from model.yaml).")
    String tag;

    @Option(names = "--compression", paramLabel = "gzip|zstd", defaultValue = "gzip",
            description = "Layer compression (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = {"-q", "--quiet"}, description = "Print only the digest.")
    boolean quiet;

    @Option(names = "--plain-http", description = "Pull a registry base image over plain HTTP instead of HTTPS.")
    boolean plainHttp;

    @Override
    public Integer call() throws Exception {
        Warmup.start();
        Packer packer = Packer.create(main().home());
        PackOptions options = PackOptions.defaults()
                .withCompression(Compression.parse(compression))
                .withBaseImages(BaseImageSources.forCli(main(), plainHttp,
                        quiet ? ProgressListener.NONE : new RegistryCommands.ProgressPrinter(err(), "pulling", "pulled")))
                .withProgress(quiet ? null : line -> {
                    err().println(line);
                    err().flush();
                });
        if (tag != null) {
            options = options.withTag(ImageRef.parse(tag));
        }
        long start = System.nanoTime();
        PackResult result = packer.pack(dir, options);
        if (!quiet) {
            long reused = result.layers().stream().filter(PackResult.LayerReport::cached).count();
            err().printf("Packed %s in %.2f s (%d of %d layers reused)%n", result.ref(), (System.nanoTime() - start) / 1e9,
                    reused, result.layers().size());
            err().flush();
        }
        out().println(result.digest());
        out().flush();
        return 0;
    }
}
