package io.modelgate.runtime.gpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * GPUs found the way nvidia-container-toolkit's legacy mode finds them: device nodes under the device root, the
 * driver version from /proc (or /sys), the driver's libraries through the host's ld cache, tools on the PATH.
 * <p>
 * Libraries are bound file by file: the real file at its own path, and each of its names in the ld cache (the
 * soname link {@code libcuda.so.1}, the dev link {@code libcuda.so}) bound from that same real file at the link's
 * path. The container then has every name the loader asks for without anything being created in its filesystem,
 * at the cost of regular files where the host has symlinks.
 */
final class HostInventory implements Inventory {
    /** nvidia-container-toolkit's "utility" and "compute" libraries (libnvidia-opencl and friends are left out). */
    static final List<String> LIBRARIES = List.of("libcuda.so", "libnvidia-ml.so", "libnvidia-ptxjitcompiler.so",
            "libnvidia-nvvm.so", "libcudadebugger.so", "libnvidia-gpucomp.so");
    static final List<String> REQUIRED_LIBRARIES = List.of("libcuda.so", "libnvidia-ml.so");
    static final List<String> CONTROL_DEVICES = List.of("nvidiactl", "nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset");
    static final List<String> TOOLS = List.of("nvidia-smi", "nvidia-debugdump", "nvidia-persistenced");
    private static final Pattern GPU_NODE = Pattern.compile("nvidia(\\d+)");

    private final Path devRoot;
    private final Optional<String> driverVersion;
    private final List<Gpu> gpus;
    private final List<DeviceNode> control;
    private final List<GpuMount> libraries;
    private final List<GpuMount> tools;
    private final List<String> warnings;

    private HostInventory(Path devRoot, Optional<String> driverVersion, List<Gpu> gpus, List<DeviceNode> control,
                          List<GpuMount> libraries, List<GpuMount> tools, List<String> warnings) {
        this.devRoot = devRoot;
        this.driverVersion = driverVersion;
        this.gpus = List.copyOf(gpus);
        this.control = List.copyOf(control);
        this.libraries = List.copyOf(libraries);
        this.tools = List.copyOf(tools);
        this.warnings = List.copyOf(warnings);
    }

    /** Looks at the machine {@code config} describes; an inventory without GPUs when there are no /dev/nvidiaN. */
    static HostInventory discover(GpuConfig config, DeviceStat stat) {
        List<String> warnings = new ArrayList<>();
        List<Gpu> gpus = findGpus(config, stat, warnings);
        if (gpus.isEmpty()) {
            return new HostInventory(config.devRoot(), Optional.empty(), List.of(), List.of(), List.of(), List.of(), warnings);
        }
        List<DeviceNode> control = findControlDevices(config, stat, warnings);
        Optional<String> version = driverVersion(config);
        List<GpuMount> libraries = new ArrayList<>();
        if (version.isEmpty()) {
            warnings.add("driver version unknown (no " + config.procRoot().resolve("driver/nvidia/version") + " nor "
                    + config.sysRoot().resolve("module/nvidia/version") + "): no driver library is bound; is the nvidia module loaded?");
        } else {
            try {
                libraries.addAll(findLibraries(LdCache.parse(config.ldCache().get(), config.arch()), version.get(), warnings));
            } catch (GpuException e) {
                warnings.add(e.getMessage() + ": no driver library is bound");
            }
        }
        List<GpuMount> tools = findTools(config.binaryDirs(), warnings);
        return new HostInventory(config.devRoot(), version, gpus, control, libraries, tools, warnings);
    }

    @Override
    public String source() {
        return "device nodes under " + devRoot;
    }

    @Override
    public List<Gpu> gpus() {
        return gpus;
    }

    @Override
    public GpuGrant grant(String containerId, List<Gpu> chosen) {
        GrantBuilder b = new GrantBuilder(containerId, chosen);
        chosen.forEach(g -> b.device(g.device()));
        control.forEach(b::device);
        libraries.forEach(b::mount);
        tools.forEach(b::mount);
        return b.build();
    }

    @Override
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("driver: " + driverVersion.orElse("unknown"));
        control.forEach(d -> lines.add("control device: " + d));
        libraries.forEach(m -> lines.add("library: " + m));
        tools.forEach(m -> lines.add("tool: " + m));
        return lines;
    }

    @Override
    public List<String> warnings() {
        return warnings;
    }

    private static List<Gpu> findGpus(GpuConfig config, DeviceStat stat, List<String> warnings) {
        Map<Integer, NvidiaProc.Information> info = gpuInformation(config.procRoot());
        List<Gpu> gpus = new ArrayList<>();
        for (Path node : list(config.devRoot())) {
            Matcher m = GPU_NODE.matcher(node.getFileName().toString());
            if (!m.matches()) {
                continue;
            }
            Optional<DeviceStat.Number> n = stat(stat, node);
            if (n.isEmpty() || n.get().type() != 'c') {
                warnings.add(node + " is not a character device: ignored");
                continue;
            }
            int index = Integer.parseInt(m.group(1));
            NvidiaProc.Information i = info.getOrDefault(n.get().minor(),
                    new NvidiaProc.Information(Optional.empty(), Optional.empty(), Optional.empty()));
            gpus.add(new Gpu(index, i.uuid(), i.model(),
                    DeviceNode.bind(node, "/dev/nvidia" + index, 'c', n.get().major(), n.get().minor())));
        }
        gpus.sort(Comparator.comparingInt(Gpu::index));
        return gpus;
    }

    private static List<DeviceNode> findControlDevices(GpuConfig config, DeviceStat stat, List<String> warnings) {
        Map<String, Integer> majors = NvidiaProc.characterMajors(read(config.procRoot().resolve("devices")).orElse(""));
        List<DeviceNode> nodes = new ArrayList<>();
        for (String name : CONTROL_DEVICES) {
            Path node = config.devRoot().resolve(name);
            Optional<DeviceStat.Number> n = Files.exists(node) ? stat(stat, node) : Optional.empty();
            if (n.isPresent()) {
                nodes.add(DeviceNode.bind(node, "/dev/" + name, n.get().type(), n.get().major(), n.get().minor()));
            } else if (name.startsWith("nvidia-uvm") && majors.containsKey("nvidia-uvm")
                    && !Files.exists(config.devRoot().resolve("nvidia-uvm"))) {
                // nvidia-uvm is loaded but nothing has made its nodes yet (nvidia-modprobe -u does it on first CUDA use).
                int minor = name.equals("nvidia-uvm") ? 0 : 1;
                nodes.add(DeviceNode.create("/dev/" + name, 'c', majors.get("nvidia-uvm"), minor));
                warnings.add(node + " is missing: containers get it made with mknod as c " + majors.get("nvidia-uvm") + ":" + minor
                        + " (from /proc/devices); 'nvidia-modprobe -u -c=0' makes it on the host");
            } else if (name.equals("nvidiactl")) {
                warnings.add(node + " is missing: CUDA cannot work without it; is the nvidia module loaded?");
            } else if (name.equals("nvidia-uvm")) {
                warnings.add(node + " is missing and nvidia-uvm is not in /proc/devices: CUDA needs it ('modprobe nvidia-uvm')");
            }
        }
        return nodes;
    }

    private static Optional<String> driverVersion(GpuConfig config) {
        return read(config.procRoot().resolve("driver/nvidia/version")).flatMap(NvidiaProc::driverVersionFromProc)
                .or(() -> read(config.sysRoot().resolve("module/nvidia/version")).flatMap(NvidiaProc::driverVersionFromSys));
    }

    /** Every ld cache name of the wanted libraries whose real file is this driver's: {@code libcuda.so.<version>}. */
    static List<GpuMount> findLibraries(List<LdCache.Entry> cache, String version, List<String> warnings) {
        Map<String, GpuMount> mounts = new LinkedHashMap<>();
        List<String> found = new ArrayList<>();
        for (LdCache.Entry e : cache) {
            Optional<String> base = LIBRARIES.stream().filter(l -> LdCache.isNamed(e.name(), l)).findFirst();
            if (base.isEmpty()) {
                continue;
            }
            Path real;
            try {
                real = e.path().toRealPath();
            } catch (IOException gone) {
                warnings.add("ld cache names " + e.path() + ", which does not exist: ignored (run ldconfig)");
                continue;
            }
            String realName = real.getFileName().toString();
            if (!realName.equals(base.get() + "." + version)) {
                warnings.add("ld cache names " + e.path() + (real.equals(e.path()) ? "" : " -> " + real)
                        + ", not of driver " + version + ": ignored");
                continue;
            }
            mounts.putIfAbsent(inRealDirectory(real).toString(), GpuMount.readOnly(real, inRealDirectory(real).toString()));
            Path link = inRealDirectory(e.path());
            mounts.putIfAbsent(link.toString(), GpuMount.readOnly(real, link.toString()));
            found.add(base.get());
        }
        for (String required : REQUIRED_LIBRARIES) {
            if (!found.contains(required)) {
                warnings.add("no " + required + "." + version + " in the ld cache: " + (required.equals("libcuda.so")
                        ? "CUDA programs in containers will not find the driver" : "nvidia-smi and NVML in containers will not work"));
            }
        }
        return List.copyOf(mounts.values());
    }

    /** The path with its directory's symlinks resolved (/lib → /usr/lib) but not the file's own. */
    private static Path inRealDirectory(Path p) {
        try {
            return p.getParent().toRealPath().resolve(p.getFileName());
        } catch (IOException e) {
            return p;
        }
    }

    private static List<GpuMount> findTools(List<Path> dirs, List<String> warnings) {
        List<GpuMount> tools = new ArrayList<>();
        for (String tool : TOOLS) {
            Optional<Path> found = dirs.stream().map(d -> d.resolve(tool))
                    .filter(p -> Files.isRegularFile(p) && Files.isExecutable(p)).findFirst();
            if (found.isPresent()) {
                try {
                    tools.add(GpuMount.readOnly(found.get().toRealPath(), "/usr/bin/" + tool));
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot resolve " + found.get(), e);
                }
            } else if (tool.equals("nvidia-smi")) {
                warnings.add("no nvidia-smi on the PATH nor in /usr/bin: containers get none");
            }
        }
        return tools;
    }

    /** {@code /proc/driver/nvidia/gpus/<pci>/information} by device minor. */
    private static Map<Integer, NvidiaProc.Information> gpuInformation(Path procRoot) {
        Map<Integer, NvidiaProc.Information> byMinor = new HashMap<>();
        for (Path dir : list(procRoot.resolve("driver/nvidia/gpus"))) {
            read(dir.resolve("information")).map(NvidiaProc::information)
                    .ifPresent(i -> i.minor().ifPresent(minor -> byMinor.put(minor, i)));
        }
        return byMinor;
    }

    private static Optional<DeviceStat.Number> stat(DeviceStat stat, Path node) {
        try {
            return stat.stat(node);
        } catch (IOException e) {
            throw new GpuException("cannot stat " + node + ": " + e.getMessage(), e);
        }
    }

    static List<Path> list(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.sorted().toList();
        } catch (IOException e) {
            throw new GpuException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    static Optional<String> read(Path file) {
        try {
            return Optional.of(Files.readString(file));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new GpuException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
