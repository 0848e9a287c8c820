package io.modelgate.runtime.gpu;

import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Supplier;

/**
 * Where GPU detection looks and where assignments are kept. {@link #host(Path)} is the real machine; tests point
 * every root at a fake one.
 *
 * @param devRoot    where the device nodes are ({@code /dev})
 * @param procRoot   for {@code driver/nvidia/version}, {@code driver/nvidia/gpus/}, {@code devices} ({@code /proc})
 * @param sysRoot    for {@code module/nvidia/version} ({@code /sys})
 * @param cdiDirs    CDI spec directories, lowest priority first ({@code /etc/cdi}, {@code /var/run/cdi})
 * @param ldCache    the text of {@code ldconfig -p}
 * @param binaryDirs where to look for {@code nvidia-smi} and friends ({@code $PATH}, then {@code /usr/bin})
 * @param arch       the ld cache's tag for the host's libraries ({@code x86-64}, {@code AArch64})
 * @param stateDir   one file per assigned GPU
 */
public record GpuConfig(Path devRoot, Path procRoot, Path sysRoot, List<Path> cdiDirs, Supplier<String> ldCache,
                        List<Path> binaryDirs, String arch, Path stateDir) {

    public GpuConfig {
        cdiDirs = List.copyOf(cdiDirs);
        binaryDirs = List.copyOf(binaryDirs);
        if (arch.isBlank()) {
            throw new IllegalArgumentException("the ld cache architecture tag is empty (e.g. x86-64)");
        }
    }

    /** This machine, with assignments kept under {@code stateDir}. */
    public static GpuConfig host(Path stateDir) {
        List<Path> bins = new ArrayList<>();
        String path = System.getenv("PATH");
        if (path != null) {
            for (String p : path.split(File.pathSeparator)) {
                if (!p.isBlank()) {
                    bins.add(Path.of(p));
                }
            }
        }
        bins.add(Path.of("/usr/bin"));
        return new GpuConfig(Path.of("/dev"), Path.of("/proc"), Path.of("/sys"),
                List.of(Path.of("/etc/cdi"), Path.of("/var/run/cdi")), LdCache::hostListing,
                List.copyOf(new LinkedHashSet<>(bins)), LdCache.hostArch(), stateDir);
    }

    public GpuConfig withDevRoot(Path dir) {
        return new GpuConfig(dir, procRoot, sysRoot, cdiDirs, ldCache, binaryDirs, arch, stateDir);
    }

    public GpuConfig withProcRoot(Path dir) {
        return new GpuConfig(devRoot, dir, sysRoot, cdiDirs, ldCache, binaryDirs, arch, stateDir);
    }

    public GpuConfig withSysRoot(Path dir) {
        return new GpuConfig(devRoot, procRoot, dir, cdiDirs, ldCache, binaryDirs, arch, stateDir);
    }

    public GpuConfig withCdiDirs(List<Path> dirs) {
        return new GpuConfig(devRoot, procRoot, sysRoot, dirs, ldCache, binaryDirs, arch, stateDir);
    }

    public GpuConfig withLdCache(Supplier<String> listing) {
        return new GpuConfig(devRoot, procRoot, sysRoot, cdiDirs, listing, binaryDirs, arch, stateDir);
    }

    public GpuConfig withBinaryDirs(List<Path> dirs) {
        return new GpuConfig(devRoot, procRoot, sysRoot, cdiDirs, ldCache, dirs, arch, stateDir);
    }

    public GpuConfig withStateDir(Path dir) {
        return new GpuConfig(devRoot, procRoot, sysRoot, cdiDirs, ldCache, binaryDirs, arch, dir);
    }
}
