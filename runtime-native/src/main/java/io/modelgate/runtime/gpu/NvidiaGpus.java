package io.modelgate.runtime.gpu;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.stream.Collectors;

/** The machine's NVIDIA GPUs (from a CDI spec or device discovery), each given to one container at a time. */
final class NvidiaGpus implements Gpus {
    private final Inventory inventory;
    private final GpuAllocator allocator;

    NvidiaGpus(Inventory inventory, GpuAllocator allocator) {
        this.inventory = inventory;
        this.allocator = allocator;
    }

    @Override
    public List<Gpu> gpus() {
        return inventory.gpus();
    }

    @Override
    public GpuGrant grant(String containerId, GpuRequest request) {
        if (containerId.isBlank() || containerId.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("container id '" + containerId + "' must be non-blank, without control characters");
        }
        if (request instanceof GpuRequest.Count c && c.count() == 0) {
            return GpuGrant.none(containerId);
        }
        List<Integer> held = allocator.assignments().entrySet().stream()
                .filter(e -> e.getValue().equals(containerId)).map(Map.Entry::getKey).toList();
        if (!held.isEmpty()) {
            throw new GpuUnavailableException("container '" + containerId + "' already holds " + names(held)
                    + "; release it before asking again");
        }
        List<Gpu> all = inventory.gpus();
        List<Gpu> chosen = new ArrayList<>();
        try {
            if (request instanceof GpuRequest.Count c) {
                if (c.count() > all.size()) {
                    throw new GpuUnavailableException("container '" + containerId + "' needs " + c.describe()
                            + ", but this machine has " + all.size() + " (" + list(all) + ")");
                }
                for (Gpu g : all) {
                    if (chosen.size() < c.count() && allocator.tryClaim(g.index(), containerId)) {
                        chosen.add(g);
                    }
                }
                if (chosen.size() < c.count()) {
                    throw refusal(containerId, request, all);
                }
            } else {
                List<Gpu> wanted = request instanceof GpuRequest.Devices d ? resolve(containerId, d) : all;
                for (Gpu g : wanted) {
                    if (!allocator.tryClaim(g.index(), containerId)) {
                        throw refusal(containerId, request, wanted);
                    }
                    chosen.add(g);
                }
            }
            return inventory.grant(containerId, chosen);
        } catch (RuntimeException e) {
            allocator.release(containerId);
            throw e;
        }
    }

    @Override
    public List<Integer> release(String containerId) {
        return allocator.release(containerId);
    }

    @Override
    public List<String> releaseAllExcept(Set<String> live) {
        return allocator.releaseAllExcept(live);
    }

    @Override
    public SortedMap<Integer, String> assignments() {
        return allocator.assignments();
    }

    @Override
    public String describe() {
        StringBuilder s = new StringBuilder("NVIDIA GPUs from " + inventory.source() + "\n");
        SortedMap<Integer, String> held = assignments();
        for (Gpu g : gpus()) {
            s.append(g).append(" — ").append(held.containsKey(g.index()) ? "held by container " + held.get(g.index()) : "free")
                    .append('\n');
        }
        inventory.describe().forEach(l -> s.append(l).append('\n'));
        inventory.warnings().forEach(w -> s.append("warning: ").append(w).append('\n'));
        GpuGrant all = inventory.grant("(example)", gpus());
        s.append("a container given all GPUs gets:\n");
        all.devices().forEach(d -> s.append("  device ").append(d).append('\n'));
        all.deviceCgroupRules().forEach(r -> s.append("  devices.allow ").append(r).append('\n'));
        all.mounts().forEach(m -> s.append("  mount ").append(m).append('\n'));
        all.env().forEach((k, v) -> s.append("  env ").append(k).append('=').append(v).append('\n'));
        all.hooksNotRun().forEach(h -> s.append("  CDI hook NOT run: ").append(h).append('\n'));
        return s.toString();
    }

    private List<Gpu> resolve(String containerId, GpuRequest.Devices d) {
        List<Gpu> wanted = new ArrayList<>();
        for (String id : d.ids()) {
            Gpu g = inventory.gpus().stream().filter(x -> x.isNamed(id)).findFirst()
                    .orElseThrow(() -> new GpuUnavailableException("container '" + containerId + "' asked for GPU " + id
                            + ", which this machine does not have (it has " + list(inventory.gpus()) + ")"));
            if (!wanted.contains(g)) {
                wanted.add(g);
            }
        }
        return wanted;
    }

    /**
     * "container 'x' needs 2 GPUs, 1 free of 2 (GPU 0 is used by container web-1)", made after this request's own
     * claims are given back; for named GPUs only the holders of those are listed.
     */
    private GpuUnavailableException refusal(String containerId, GpuRequest request, List<Gpu> wanted) {
        allocator.release(containerId);
        List<Gpu> all = inventory.gpus();
        SortedMap<Integer, String> held = allocator.assignments();
        long used = all.stream().filter(g -> held.containsKey(g.index())).count();
        String what = request instanceof GpuRequest.All
                ? (all.size() == 1 ? "the machine's only GPU" : "all " + all.size() + " GPUs") : request.describe();
        String holders = wanted.stream().filter(g -> held.containsKey(g.index()))
                .map(g -> "GPU " + g.index() + " is used by container " + held.get(g.index()))
                .collect(Collectors.joining(", "));
        return new GpuUnavailableException("container '" + containerId + "' needs " + what + ", " + (all.size() - used)
                + " free of " + all.size() + (holders.isEmpty() ? "" : " (" + holders + ")"));
    }

    private static String names(List<Integer> indices) {
        return (indices.size() == 1 ? "GPU " : "GPUs ") + indices.stream().map(String::valueOf).collect(Collectors.joining(", "));
    }

    private static String list(List<Gpu> gpus) {
        return gpus.stream().map(g -> "GPU " + g.index() + g.uuid().map(u -> " " + u).orElse(""))
                .collect(Collectors.joining(", "));
    }
}
