package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Builds the stand-in libnvidia-ml.so of src/test/resources/gpu/fake-nvml.c with gcc: this machine has no GPU and
 * no NVIDIA driver, so the JNA binding is tested against a library with the same C signatures and fixed readings.
 * The real library is exercised by gpu-check.sh on a GPU machine.
 */
public final class FakeNvml {
    public static final String GPU0_UUID = "GPU-0f1e2d3c-0000-4000-8000-000000000000";
    public static final String GPU3_UUID = "GPU-0f1e2d3c-0003-4000-8000-000000000003";

    private FakeNvml() {
    }

    /**
     * Compiles the fake into {@code dir}; {@code defines} such as {@code INIT_FAILS} or {@code LOST_WHEN="<file>"}
     * change its behaviour (see fake-nvml.c).
     */
    public static Path build(Path dir, String... defines) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        Path source = dir.resolve("fake-nvml.c");
        try (InputStream in = FakeNvml.class.getResourceAsStream("/gpu/fake-nvml.c")) {
            Files.copy(in, source, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        // one file per set of defines; a define may hold a quoted path (LOST_WHEN="<file>"), so it is not the name
        Path library = dir.resolve("libnvidia-ml" + (defines.length == 0 ? ""
                : "-" + Integer.toHexString(String.join(" ", defines).hashCode())) + ".so.1");
        List<String> command = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-O2", "-o", library.toString()));
        for (String d : defines) {
            command.add("-D" + d);
        }
        command.add(source.toString());
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
