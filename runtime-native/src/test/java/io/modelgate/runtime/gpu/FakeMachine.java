package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/**
 * A machine with NVIDIA GPUs made in a temporary directory: device nodes made with mknod (so it needs root; tests
 * are skipped otherwise), /proc and /sys files from captured samples, empty driver libraries with their soname
 * links, an ld cache listing pointing at them, and an nvidia-smi script.
 */
final class FakeMachine {
    static final String DRIVER = "550.54.15";

    final Path dev;
    final Path proc;
    final Path sys;
    final Path lib;
    final Path bin;
    final Path state;
    final Path etcCdi;
    final Path runCdi;

    FakeMachine(Path root) {
        dev = dir(root.resolve("dev"));
        proc = dir(root.resolve("proc"));
        sys = dir(root.resolve("sys"));
        lib = dir(root.resolve("usr/lib/x86_64-linux-gnu"));
        bin = dir(root.resolve("usr/bin"));
        state = root.resolve("state/gpus");
        etcCdi = root.resolve("etc/cdi");
        runCdi = root.resolve("var/run/cdi");
    }

    /** Two GPUs, nvidiactl and nvidia-uvm (major 508, as /proc/devices says), driver 550.54.15 with its libraries and nvidia-smi. */
    static FakeMachine withTwoGpus(Path root) {
        return new FakeMachine(root).gpu(0).gpu(1).node("nvidiactl", 195, 255).node("nvidia-uvm", 508, 0)
                .procDevices().driverInProc().libraries().nvidiaSmi();
    }

    GpuConfig config() {
        return new GpuConfig(dev, proc, sys, List.of(etcCdi, runCdi), this::ldCache, List.of(bin), "x86-64", state);
    }

    String ldCache() {
        return resource("ldconfig-p.txt").replace("@LIBDIR@", lib.toString());
    }

    FakeMachine gpu(int index) {
        node("nvidia" + index, 195, index);
        if (index < 2) {
            write(proc.resolve("driver/nvidia/gpus/0000:0" + index + ":00.0/information"), resource("gpu-information-" + index + ".txt"));
        }
        return this;
    }

    FakeMachine node(String name, int major, int minor) {
        mknod(dev.resolve(name), major, minor);
        return this;
    }

    FakeMachine procDevices() {
        write(proc.resolve("devices"), resource("proc-devices.txt"));
        return this;
    }

    FakeMachine driverInProc() {
        write(proc.resolve("driver/nvidia/version"), resource("proc-driver-nvidia-version.txt"));
        return this;
    }

    FakeMachine driverInSys() {
        write(sys.resolve("module/nvidia/version"), DRIVER + "\n");
        return this;
    }

    /** This driver's libraries with their soname links, an opencl library nobody asked for, and an old driver's libcuda. */
    FakeMachine libraries() {
        library("libcuda.so", "libcuda.so.1");
        library("libnvidia-ml.so", "libnvidia-ml.so.1");
        library("libnvidia-ptxjitcompiler.so", "libnvidia-ptxjitcompiler.so.1");
        library("libnvidia-nvvm.so", "libnvidia-nvvm.so.4");
        library("libcudadebugger.so", "libcudadebugger.so.1");
        library("libnvidia-gpucomp.so", null);
        library("libnvidia-opencl.so", "libnvidia-opencl.so.1");
        write(lib.resolve("libcuda.so.535.1"), "");
        link(lib.resolve("libcuda.so"), "libcuda.so.535.1");
        return this;
    }

    FakeMachine nvidiaSmi() {
        Path smi = bin.resolve("nvidia-smi");
        write(smi, "#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-8d4f3c1e-2b6a-4f0e-9c1d-3e5a7b9c0d21)'\n");
        try {
            Files.setPosixFilePermissions(smi, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** A CDI spec from the test resources, with @DEV@ and @LIBDIR@ pointing into this machine. */
    FakeMachine cdiSpec(Path dir, String resource) {
        write(dir.resolve(Path.of(resource).getFileName()),
                resource("cdi/" + resource).replace("@DEV@", dev.toString()).replace("@LIBDIR@", lib.toString()));
        return this;
    }

    private void library(String base, String soname) {
        write(lib.resolve(base + "." + DRIVER), "");
        if (soname != null) {
            link(lib.resolve(soname), base + "." + DRIVER);
        }
    }

    static String resource(String name) {
        try (InputStream in = FakeMachine.class.getResourceAsStream("/gpu/" + name)) {
            if (in == null) {
                throw new IllegalStateException("no test resource gpu/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void mknod(Path path, int major, int minor) {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "making device nodes needs root");
        try {
            Process p = new ProcessBuilder("mknod", path.toString(), "c", Integer.toString(major), Integer.toString(minor))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Assumptions.assumeTrue(p.waitFor() == 0, "mknod is not permitted here: " + out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void write(Path file, String text) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void link(Path link, String target) {
        try {
            Files.createSymbolicLink(link, Path.of(target));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Path dir(Path p) {
        try {
            return Files.createDirectories(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
