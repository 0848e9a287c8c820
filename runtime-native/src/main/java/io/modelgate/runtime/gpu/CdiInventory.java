package io.modelgate.runtime.gpu;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPUs as CDI specs of kind nvidia.com/gpu describe them (what {@code nvidia-ctk cdi generate} writes). A spec
 * names the same GPU several ways ("0", "GPU-8d4f…", and "all" for every GPU); a GPU here is one
 * {@code /dev/nvidiaN} node, its device preferably the one named N, its UUID the name starting "GPU-". MIG
 * devices (those with /dev/nvidia-caps nodes) are not offered.
 * <p>
 * A container given GPUs gets the spec-wide edits and those of each GPU's device, as the spec says; the spec's
 * env wins over the defaults. Hooks are not run: modelgate has no OCI hook runner. The two that matter are
 * stood in for: the ld cache's names for the libraries the spec mounts are bound too, as the update-ldcache hook
 * would have made them ({@code libcuda.so.1} next to {@code libcuda.so.550.54.15}); hooks that make other
 * symlinks or change modes are recorded in the grant, not replayed.
 */
final class CdiInventory implements Inventory {
    private static final Pattern GPU_NODE = Pattern.compile("/dev/nvidia(\\d+)");

    private record Owned(CdiSpecs.Spec spec, CdiSpecs.Device device) {
    }

    private final List<CdiSpecs.Spec> specs;
    private final List<Gpu> gpus;
    private final Map<Integer, Owned> byIndex;
    private final Map<String, DeviceNode> nodes;
    private final List<LdCache.Entry> ldCache;
    private final List<String> warnings;

    private CdiInventory(List<CdiSpecs.Spec> specs, List<Gpu> gpus, Map<Integer, Owned> byIndex,
                         Map<String, DeviceNode> nodes, List<LdCache.Entry> ldCache, List<String> warnings) {
        this.specs = List.copyOf(specs);
        this.gpus = List.copyOf(gpus);
        this.byIndex = Map.copyOf(byIndex);
        this.nodes = Map.copyOf(nodes);
        this.ldCache = List.copyOf(ldCache);
        this.warnings = List.copyOf(warnings);
    }

    /**
     * The GPUs of {@code specs} (lowest priority first: a device name in a later directory replaces one in an
     * earlier; the same name twice in one directory is an error). Device nodes without numbers are read from the host.
     */
    static CdiInventory of(List<CdiSpecs.Spec> specs, DeviceStat stat, List<LdCache.Entry> ldCache, List<String> warnings) {
        Map<String, Owned> byName = new LinkedHashMap<>();
        for (CdiSpecs.Spec spec : specs) {
            for (CdiSpecs.Device d : spec.devices()) {
                Owned earlier = byName.get(d.name());
                if (earlier != null && earlier.spec().file().getParent().equals(spec.file().getParent())) {
                    throw new GpuException("CDI specs " + earlier.spec().file() + " and " + spec.file() + " both define "
                            + spec.kind() + "=" + d.name() + " (remove one of them)");
                }
                byName.remove(d.name());
                byName.put(d.name(), new Owned(spec, d));
            }
        }
        Map<String, DeviceNode> nodes = new HashMap<>();
        for (CdiSpecs.Spec spec : specs) {
            resolveAll(spec, spec.edits(), stat, nodes);
        }
        byName.values().forEach(o -> resolveAll(o.spec(), o.device().edits(), stat, nodes));

        Map<Integer, List<Owned>> byIndex = new TreeMap<>();
        for (Owned o : byName.values()) {
            List<Integer> indices = new ArrayList<>();
            boolean mig = false;
            for (CdiSpecs.Node n : o.device().edits().deviceNodes()) {
                Matcher m = GPU_NODE.matcher(n.path());
                if (m.matches()) {
                    indices.add(Integer.parseInt(m.group(1)));
                }
                mig |= n.path().startsWith("/dev/nvidia-caps");
            }
            if (indices.size() == 1 && !mig) {
                byIndex.computeIfAbsent(indices.get(0), i -> new ArrayList<>()).add(o);
            }
        }
        List<Gpu> gpus = new ArrayList<>();
        Map<Integer, Owned> canonical = new HashMap<>();
        byIndex.forEach((index, owners) -> {
            Owned main = owners.stream().filter(o -> o.device().name().equals(Integer.toString(index))).findFirst()
                    .orElse(owners.get(0));
            Optional<String> uuid = owners.stream().map(o -> o.device().name()).filter(n -> n.startsWith("GPU-")).findFirst();
            gpus.add(new Gpu(index, uuid, Optional.empty(), nodes.get("/dev/nvidia" + index)));
            canonical.put(index, main);
        });
        return new CdiInventory(specs, gpus, canonical, nodes, ldCache, warnings);
    }

    @Override
    public String source() {
        return specs.size() == 1 ? "CDI spec " + specs.get(0).file()
                : "CDI specs " + String.join(", ", specs.stream().map(s -> s.file().toString()).toList());
    }

    @Override
    public List<Gpu> gpus() {
        return gpus;
    }

    @Override
    public GpuGrant grant(String containerId, List<Gpu> chosen) {
        GrantBuilder b = new GrantBuilder(containerId, chosen);
        Set<CdiSpecs.Spec> used = new LinkedHashSet<>();
        chosen.forEach(g -> used.add(byIndex.get(g.index()).spec()));
        for (CdiSpecs.Spec spec : used) {
            apply(spec.edits(), b);
        }
        chosen.forEach(g -> apply(byIndex.get(g.index()).device().edits(), b));
        for (GpuMount m : b.mounts()) {
            sonameLinks(m).forEach(b::mount);
        }
        return b.build();
    }

    @Override
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        for (CdiSpecs.Spec s : specs) {
            lines.add("CDI spec: " + s.file() + " (cdiVersion " + s.cdiVersion() + ", devices "
                    + String.join(", ", s.devices().stream().map(CdiSpecs.Device::name).toList()) + ")");
        }
        return lines;
    }

    @Override
    public List<String> warnings() {
        return warnings;
    }

    private void apply(CdiSpecs.Edits edits, GrantBuilder b) {
        edits.deviceNodes().forEach(n -> b.device(nodes.get(n.path())));
        edits.mounts().forEach(m -> b.mount(new GpuMount(Path.of(m.hostPath()), m.containerPath(), m.readOnly())));
        edits.env().forEach(e -> b.env(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1)));
        edits.hooks().forEach(b::hookNotRun);
    }

    /** The other names the host's ld cache gives a mounted library's real file, in the mount's directory. */
    private List<GpuMount> sonameLinks(GpuMount m) {
        String name = m.source().getFileName().toString();
        int so = name.indexOf(".so.");
        if (!name.startsWith("lib") || so < 0) {
            return List.of();
        }
        String base = name.substring(0, so + 3);
        Path real;
        try {
            real = m.source().toRealPath();
        } catch (IOException gone) {
            return List.of();
        }
        String dir = m.target().substring(0, m.target().lastIndexOf('/') + 1);
        List<GpuMount> links = new ArrayList<>();
        for (LdCache.Entry e : ldCache) {
            if (LdCache.isNamed(e.name(), base) && !e.name().equals(name) && sameFile(e.path(), real)) {
                links.add(new GpuMount(real, dir + e.name(), m.readOnly()));
            }
        }
        return links;
    }

    private static boolean sameFile(Path p, Path real) {
        try {
            return p.toRealPath().equals(real);
        } catch (IOException e) {
            return false;
        }
    }

    private static void resolveAll(CdiSpecs.Spec spec, CdiSpecs.Edits edits, DeviceStat stat, Map<String, DeviceNode> nodes) {
        for (CdiSpecs.Node n : edits.deviceNodes()) {
            if (!nodes.containsKey(n.path())) {
                nodes.put(n.path(), resolve(spec, n, stat));
            }
        }
    }

    /** The spec's numbers where it gives them all, otherwise the host node's (CDI leaves them to the runtime). */
    private static DeviceNode resolve(CdiSpecs.Spec spec, CdiSpecs.Node n, DeviceStat stat) {
        Path host = n.host();
        DeviceNode node;
        if (n.type().isPresent() && n.major().isPresent() && n.minor().isPresent()) {
            node = DeviceNode.bind(host, n.path(), n.type().get(), n.major().get(), n.minor().get());
        } else {
            Optional<DeviceStat.Number> number;
            try {
                number = stat.stat(host);
            } catch (IOException e) {
                throw new GpuException("CDI spec " + spec.file() + " lists device node " + n.path()
                        + " without its numbers, and " + host + " cannot be read (" + e + "): is the driver loaded? "
                        + "Regenerate the spec with 'nvidia-ctk cdi generate' if the GPUs changed", e);
            }
            if (number.isEmpty()) {
                throw new GpuException("CDI spec " + spec.file() + " lists device node " + n.path() + ", but " + host
                        + " is not a device (regenerate the spec with 'nvidia-ctk cdi generate')");
            }
            DeviceStat.Number x = number.get();
            node = DeviceNode.bind(host, n.path(), n.type().orElse(x.type()), n.major().orElse(x.major()), n.minor().orElse(x.minor()));
        }
        return n.permissions().map(node::withPermissions).orElse(node);
    }
}
