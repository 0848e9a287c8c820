package io.modelgate.runtime.cgroup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * Cgroup v2: the container's cgroup is one directory, {@code parent/id} under the cgroup2 mount. Controllers
 * reach it only when every cgroup above it lists them in cgroup.subtree_control, and a cgroup may do that only
 * while it holds no processes itself (the no-internal-process rule; the root is exempt): modelgate never puts a
 * process in its parent, and says so when another process sits there.
 */
final class CgroupsV2 implements Cgroups {

    private final CgroupLayout layout;
    private final String parent;
    private final Path root;
    private final DeviceFilter devices;
    /**
     * The device lists this backend attached, by container id: a program cannot be read back as rules, so
     * {@link #limits} reports these (and {@link DeviceRule#ALL} for a container it set no list on).
     */
    private final Map<String, List<DeviceRule>> applied = new java.util.concurrent.ConcurrentHashMap<>();

    CgroupsV2(CgroupLayout layout, String parent) {
        this(layout, parent, DeviceFilter.EBPF);
    }

    CgroupsV2(CgroupLayout layout, String parent, DeviceFilter devices) {
        if (layout.version() != CgroupLayout.Version.V2) {
            throw new IllegalArgumentException("CgroupsV2 needs a cgroup v2 layout, not " + layout.describe());
        }
        this.layout = layout;
        this.parent = parent;
        this.root = layout.unifiedMount().orElseThrow();
        this.devices = devices;
    }

    @Override
    public CgroupLayout layout() {
        return layout;
    }

    @Override
    public String parent() {
        return parent;
    }

    @Override
    public void create(String id) {
        Names.checkId(id);
        Path cgroup = root;
        for (String part : parent.split("/")) {
            enableControllers(cgroup);
            cgroup = cgroup.resolve(part);
            mkdir(cgroup, true);
        }
        enableControllers(cgroup);
        mkdir(dir(id), false);
    }

    private void mkdir(Path dir, boolean mayExist) {
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            if (!mayExist) {
                throw new CgroupException("cgroup " + dir + " already exists (left over from a crash? find such cgroups "
                        + "with list(), then killAll and remove them)", e);
            }
        } catch (IOException e) {
            throw new CgroupException("cannot create cgroup " + dir + ": " + CgroupFiles.reason(e)
                    + " (modelgate needs root, or a cgroup delegated to its user)", e);
        }
    }

    /** Makes memory, cpu and pids available to the children of {@code cgroup}, if they are not already. */
    private void enableControllers(Path cgroup) {
        Path subtreeControl = cgroup.resolve("cgroup.subtree_control");
        Set<String> enabled = words(CgroupFiles.read(subtreeControl));
        List<String> missing = CgroupLayout.LIMIT_CONTROLLERS.stream().filter(c -> !enabled.contains(c)).toList();
        if (missing.isEmpty()) {
            return;
        }
        Set<String> offered = words(CgroupFiles.read(cgroup.resolve("cgroup.controllers")));
        List<String> notOffered = missing.stream().filter(c -> !offered.contains(c)).toList();
        if (!notOffered.isEmpty()) {
            throw new CgroupException("cgroup " + cgroup + " is not offered controller(s) " + notOffered + " (its "
                    + "cgroup.controllers lists " + offered + "); enable them in its parent's cgroup.subtree_control");
        }
        String request = String.join(" ", missing.stream().map(c -> "+" + c).toList());
        try {
            CgroupFiles.writeOrThrow(subtreeControl, request);
        } catch (IOException e) {
            List<Long> inside = CgroupFiles.pids(cgroup.resolve("cgroup.procs"));
            if (!inside.isEmpty()) {
                throw internalProcesses(cgroup, missing, inside,
                        layout.processCgroups().getOrDefault(ProcCgroup.UNIFIED, "?"), e);
            }
            throw new CgroupException("cannot write '" + request + "' to " + subtreeControl + ": " + CgroupFiles.reason(e), e);
        }
    }

    /** The kernel's EBUSY for a cgroup that holds processes, explained (the test cannot make a file say EBUSY). */
    static CgroupException internalProcesses(Path cgroup, List<String> controllers, List<Long> inside, String self, IOException e) {
        return new CgroupException("cannot enable " + controllers + " in " + cgroup.resolve("cgroup.subtree_control")
                + " (" + CgroupFiles.reason(e) + "): the cgroup holds processes " + first(inside) + " and cgroup v2 lets "
                + "only a cgroup without processes hand controllers to its children (the no-internal-process rule; "
                + "this process is in " + self + "). Move those processes into a child cgroup (mkdir "
                + cgroup.resolve("init") + "; echo PID > " + cgroup.resolve("init/cgroup.procs") + "), or run "
                + "modelgate in a cgroup delegated to it (systemd: Delegate=yes)", e);
    }

    @Override
    public void apply(String id, Limits limits) {
        Names.checkId(id);
        Path dir = dir(id);
        for (LimitWrites.Write write : LimitWrites.v2(limits)) {
            CgroupFiles.write(dir.resolve(write.file()), write.value());
        }
        // v2 has no devices.allow: an eBPF program holds the list
        if (limits.restrictsDevices()) {
            devices.attach(dir, limits.devices());
            applied.put(id, limits.devices());
        } else {
            devices.clear(dir);
            applied.remove(id);
        }
    }

    @Override
    public Limits limits(String id) {
        Names.checkId(id);
        Path dir = dir(id);
        long memory = CgroupFiles.readLong(dir.resolve("memory.max"));
        String[] cpu = CgroupFiles.read(dir.resolve("cpu.max")).trim().split("\\s+");
        if (cpu.length != 2) {
            throw new CgroupException(dir.resolve("cpu.max") + ": expected 'quota period', found '" + String.join(" ", cpu) + "'");
        }
        long pids = CgroupFiles.readLong(dir.resolve("pids.max"));
        return new Limits(
                memory == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(memory),
                cpu[0].equals("max") ? OptionalDouble.empty() : OptionalDouble.of(new CpuQuota(
                        CgroupFiles.parseLong(cpu[0], dir.resolve("cpu.max")),
                        CgroupFiles.parseLong(cpu[1], dir.resolve("cpu.max"))).cpus()),
                pids == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(pids),
                applied.getOrDefault(id, List.of(DeviceRule.ALL)));
    }

    @Override
    public void addProcess(String id, long pid) {
        Names.checkId(id);
        CgroupFiles.write(dir(id).resolve("cgroup.procs"), Long.toString(pid));
    }

    @Override
    public List<Long> processes(String id) {
        Names.checkId(id);
        return Teardown.processesIn(List.of(dir(id)));
    }

    @Override
    public CgroupStats stats(String id) {
        Names.checkId(id);
        Path dir = dir(id);
        Path events = dir.resolve("memory.events");
        Map<String, Long> memoryEvents = CgroupFiles.readKeyed(events);
        Path peak = dir.resolve("memory.peak");
        Path cpuStat = dir.resolve("cpu.stat");
        return new CgroupStats(
                CgroupFiles.readLong(dir.resolve("memory.current")),
                Files.exists(peak) ? OptionalLong.of(CgroupFiles.readLong(peak)) : OptionalLong.empty(),
                memoryEvents.getOrDefault("max", 0L),
                memoryEvents.getOrDefault("oom_kill", 0L),
                CgroupStats.counter(CgroupFiles.read(cpuStat), "usage_usec", cpuStat.toString()) * 1000,
                CgroupFiles.readLong(dir.resolve("pids.current")),
                CgroupStats.counter(CgroupFiles.read(dir.resolve("pids.events")), "max", dir.resolve("pids.events").toString()));
    }

    @Override
    public long oomKills(String id) {
        Names.checkId(id);
        Path events = dir(id).resolve("memory.events");
        return CgroupStats.counter(CgroupFiles.read(events), "oom_kill", events.toString());
    }

    @Override
    public void killAll(String id, Duration timeout) {
        Names.checkId(id);
        Path dir = dir(id);
        if (!Files.isDirectory(dir)) {
            return;
        }
        Path kill = dir.resolve("cgroup.kill");
        if (Files.exists(kill)) {
            // Linux 5.14+: the kernel SIGKILLs the whole subtree, forks in flight included
            CgroupFiles.write(kill, "1");
            Teardown.awaitEmpty(name(id), () -> processes(id), timeout);
            return;
        }
        Path freeze = dir.resolve("cgroup.freeze");
        Path events = dir.resolve("cgroup.events");
        Teardown.killByFreezing(name(id), () -> processes(id),
                () -> {
                    CgroupFiles.write(freeze, "1");
                    Teardown.await(() -> CgroupFiles.keyed(CgroupFiles.read(events), events.toString())
                            .getOrDefault("frozen", 0L) == 1, Teardown.deadline(Duration.ofSeconds(1)));
                },
                () -> CgroupFiles.write(freeze, "0"),
                timeout);
    }

    @Override
    public void remove(String id, Duration timeout) {
        Names.checkId(id);
        Teardown.removeTrees(name(id), List.of(dir(id)), () -> processes(id), timeout);
        applied.remove(id);
    }

    @Override
    public List<String> list() {
        return CgroupFiles.children(root.resolve(parent));
    }

    @Override
    public List<Path> directories(String id) {
        Names.checkId(id);
        return List.of(dir(id));
    }

    private Path dir(String id) {
        return root.resolve(parent).resolve(id);
    }

    private String name(String id) {
        return parent + "/" + id;
    }

    private static Set<String> words(String text) {
        Set<String> words = new TreeSet<>(Arrays.asList(text.trim().split("\\s+")));
        words.remove("");
        return words;
    }

    private static String first(List<Long> pids) {
        List<Long> shown = new ArrayList<>(pids.subList(0, Math.min(pids.size(), 5)));
        return shown + (pids.size() > 5 ? " and " + (pids.size() - 5) + " more" : "");
    }
}
