package io.modelgate.runtime.gpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prints what GPU detection finds on this machine, without assigning anything:
 * {@code java -cp … io.modelgate.runtime.gpu.GpuReport [--home DIR] [--dev-root DIR] [--proc-root DIR]
 * [--sys-root DIR] [--cdi-dir DIR]… [--ld-cache FILE]}. Exit status 0 when GPUs were found, 1 when none, 2 when
 * detection failed.
 */
public final class GpuReport {
    private GpuReport() {
    }

    public static void main(String[] args) {
        try {
            Gpus gpus = Gpus.detect(config(args));
            System.out.print(gpus.describe());
            System.exit(gpus.gpus().isEmpty() ? 1 : 0);
        } catch (IllegalArgumentException | GpuException | UncheckedIOException e) {
            System.err.println("gpu-report: " + e.getMessage());
            System.exit(2);
        }
    }

    static GpuConfig config(String[] args) {
        Path home = Path.of(System.getProperty("user.home"), ".modelgate");
        GpuConfig c = GpuConfig.host(home.resolve("gpus"));
        List<Path> cdiDirs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(option + " needs a value (or unknown option; see the class's Javadoc)");
            }
            Path value = Path.of(args[++i]);
            switch (option) {
                case "--home" -> c = c.withStateDir(value.resolve("gpus"));
                case "--dev-root" -> c = c.withDevRoot(value);
                case "--proc-root" -> c = c.withProcRoot(value);
                case "--sys-root" -> c = c.withSysRoot(value);
                case "--cdi-dir" -> cdiDirs.add(value);
                case "--ld-cache" -> c = c.withLdCache(() -> {
                    try {
                        return Files.readString(value);
                    } catch (IOException e) {
                        throw new GpuException("cannot read ld cache listing " + value + ": " + e.getMessage(), e);
                    }
                });
                default -> throw new IllegalArgumentException("unknown option " + option
                        + "; use --home, --dev-root, --proc-root, --sys-root, --cdi-dir or --ld-cache");
            }
        }
        return cdiDirs.isEmpty() ? c : c.withCdiDirs(cdiDirs);
    }
}
