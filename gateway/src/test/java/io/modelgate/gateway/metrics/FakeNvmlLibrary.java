package io.modelgate.gateway.metrics;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds runtime-native's stand-in libnvidia-ml.so (src/test/resources/gpu/fake-nvml.c, two GPUs with fixed
 * readings) with gcc: this machine has no GPU and no NVIDIA driver, so the gateway's GPU series are tested against a
 * library with NVML's C signatures. gpu-check.sh checks the real one on a GPU machine.
 */
final class FakeNvmlLibrary {
    static final Path SOURCE = Path.of("..", "runtime-native", "src", "test", "resources", "gpu", "fake-nvml.c")
            .toAbsolutePath().normalize();

    private FakeNvmlLibrary() {
    }

    static Path build(Path dir) throws IOException, InterruptedException {
        return build(dir, List.of());
    }

    /** With {@code defines} such as {@code LOST_WHEN="<file>"} (see fake-nvml.c). */
    static Path build(Path dir, List<String> defines) throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isRegularFile(SOURCE), "needs " + SOURCE);
        Files.createDirectories(dir);
        Path library = dir.resolve("libnvidia-ml.so.1");
        List<String> command = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-O2", "-o", library.toString()));
        defines.forEach(d -> command.add("-D" + d));
        command.add(SOURCE.toString());
        Process gcc;
        try {
            gcc = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException noGcc) {
            Assumptions.abort("needs gcc to build the stand-in NVML library: " + noGcc.getMessage());
            throw noGcc;
        }
        String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!gcc.waitFor(60, TimeUnit.SECONDS) || gcc.exitValue() != 0) {
            throw new IllegalStateException("gcc could not build the fake NVML: " + output);
        }
        return library;
    }
}
