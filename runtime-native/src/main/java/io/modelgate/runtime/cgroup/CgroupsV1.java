package io.modelgate.runtime.cgroup;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.TreeSet;

/**
 * Cgroup v1, and the hybrid layout: the container's cgroup is {@code parent/id} in each of the memory, cpu,
 * cpuacct, pids, devices and freezer hierarchies (once per hierarchy where controllers are co-mounted). The
 * hybrid layout's cgroup2 mount is not used: it lacks the memory controller, and v1's freezer empties a cgroup
 * as reliably as cgroup.kill would.
 */
final class CgroupsV1 implements Cgroups {
    private static final Duration FREEZE_WAIT = Duration.ofSeconds(1);

    private final CgroupLayout layout;
    private final String parent;

    CgroupsV1(CgroupLayout layout, String parent) {
        if (layout.version() == CgroupLayout.Version.V2) {
            throw new IllegalArgumentException("CgroupsV1 needs a v1 or hybrid layout, not " + layout.describe());
        }
        this.layout = layout;
        this.parent = parent;
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
        List<Path> dirs = directories(id);
        for (Path dir : dirs) {
            if (Files.exists(dir)) {
                throw new CgroupException("cgroup " + name(id) + " already exists at " + dir + " (left over from a crash? "
                        + "find such cgroups with list(), then killAll and remove them)");
            }
        }
        List<Path> made = new ArrayList<>();
        try {
            for (Path dir : dirs) {
                Files.createDirectories(dir.getParent());
                Files.createDirectory(dir);
                made.add(dir);
            }
        } catch (FileAlreadyExistsException e) {
            undo(made);
            throw new CgroupException("cgroup " + name(id) + " was created at " + e.getFile() + " by someone else meanwhile", e);
        } catch (IOException e) {
            undo(made);
            throw new CgroupException("cannot create cgroup " + name(id) + ": " + e.getMessage() + " (" + CgroupFiles.reason(e)
                    + "; modelgate needs root to create cgroups in " + layout.describe() + ")", e);
        }
    }

    @Override
    public void apply(String id, Limits limits) {
        Names.checkId(id);
        for (LimitWrites.Write write : LimitWrites.v1(limits)) {
            Path file = dir(write.controller(), id).resolve(write.file());
            if (write.file().equals("memory.limit_in_bytes")) {
                writeMemoryLimit(id, file, write.value());
            } else {
                CgroupFiles.write(file, write.value());
            }
        }
    }

    /** The kernel refuses (EBUSY) a limit below the usage it cannot reclaim; say which value and why. */
    private void writeMemoryLimit(String id, Path file, String value) {
        try {
            CgroupFiles.writeOrThrow(file, value);
        } catch (NoSuchFileException e) {
            CgroupFiles.write(file, value); // reports the missing file
        } catch (IOException e) {
            long limit = Long.parseLong(value);
            long usage = CgroupFiles.readLong(dir("memory", id).resolve("memory.usage_in_bytes"));
            if (limit >= 0 && limit < usage) {
                throw new CgroupException("memory limit " + limit + " bytes is below what the kernel accepts for cgroup "
                        + name(id) + ": the minimum now is its current usage of " + usage + " bytes, which the kernel "
                        + "could not reclaim (writing " + file + ": " + CgroupFiles.reason(e) + "); give a limit above "
                        + usage + " bytes, or set it before the container's processes start", e);
            }
            throw new CgroupException("the kernel refused memory limit " + value + " bytes for cgroup " + name(id)
                    + " (writing " + file + ": " + CgroupFiles.reason(e) + "; with swap accounting, "
                    + "memory.memsw.limit_in_bytes must not be below it)", e);
        }
    }

    @Override
    public Limits limits(String id) {
        Names.checkId(id);
        long memory = CgroupFiles.readLong(dir("memory", id).resolve("memory.limit_in_bytes"));
        long quota = CgroupFiles.readLong(dir("cpu", id).resolve("cpu.cfs_quota_us"));
        long period = CgroupFiles.readLong(dir("cpu", id).resolve("cpu.cfs_period_us"));
        long pids = CgroupFiles.readLong(dir("pids", id).resolve("pids.max"));
        List<DeviceRule> devices = new ArrayList<>();
        for (String line : CgroupFiles.read(dir("devices", id).resolve("devices.list")).split("\n")) {
            if (!line.isBlank()) {
                devices.add(DeviceRule.parse(line));
            }
        }
        return new Limits(
                memory >= LimitWrites.V1_UNLIMITED_MEMORY ? OptionalLong.empty() : OptionalLong.of(memory),
                quota < 0 ? OptionalDouble.empty() : OptionalDouble.of(new CpuQuota(quota, period).cpus()),
                pids == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(pids),
                devices);
    }

    @Override
    public void addProcess(String id, long pid) {
        Names.checkId(id);
        for (Path dir : directories(id)) {
            CgroupFiles.write(dir.resolve("cgroup.procs"), Long.toString(pid));
        }
    }

    @Override
    public List<Long> processes(String id) {
        Names.checkId(id);
        return Teardown.processesIn(directories(id));
    }

    @Override
    public CgroupStats stats(String id) {
        Names.checkId(id);
        Path memory = dir("memory", id);
        Path pids = dir("pids", id);
        return new CgroupStats(
                CgroupFiles.readLong(memory.resolve("memory.usage_in_bytes")),
                OptionalLong.of(CgroupFiles.readLong(memory.resolve("memory.max_usage_in_bytes"))),
                CgroupFiles.readLong(memory.resolve("memory.failcnt")),
                oomKills(id),
                CgroupFiles.readLong(dir("cpuacct", id).resolve("cpuacct.usage")),
                CgroupFiles.readLong(pids.resolve("pids.current")),
                CgroupStats.counter(CgroupFiles.read(pids.resolve("pids.events")), "max", pids.resolve("pids.events").toString()));
    }

    @Override
    public long oomKills(String id) {
        Names.checkId(id);
        Path file = dir("memory", id).resolve("memory.oom_control");
        return CgroupStats.v1OomKills(CgroupFiles.read(file), file.toString());
    }

    @Override
    public void killAll(String id, Duration timeout) {
        Names.checkId(id);
        Path state = dir("freezer", id).resolve("freezer.state");
        if (!Files.exists(state)) {
            return; // no cgroup, nothing in it
        }
        Teardown.killByFreezing(name(id), () -> processes(id),
                () -> {
                    CgroupFiles.write(state, "FROZEN");
                    // FREEZING lasts while a task cannot stop (e.g. in uninterruptible sleep); kill it anyway
                    Teardown.await(() -> CgroupFiles.read(state).trim().equals("FROZEN"), Teardown.deadline(FREEZE_WAIT));
                },
                () -> CgroupFiles.write(state, "THAWED"),
                timeout);
    }

    @Override
    public void remove(String id, Duration timeout) {
        Names.checkId(id);
        Teardown.removeTrees(name(id), directories(id), () -> processes(id), timeout);
    }

    @Override
    public List<String> list() {
        TreeSet<String> ids = new TreeSet<>();
        for (Path hierarchy : hierarchies()) {
            ids.addAll(CgroupFiles.children(hierarchy.resolve(parent)));
        }
        return List.copyOf(ids);
    }

    @Override
    public List<Path> directories(String id) {
        Names.checkId(id);
        return hierarchies().stream().map(h -> h.resolve(parent).resolve(id)).toList();
    }

    /** The mount point of each hierarchy used, once each where controllers are co-mounted (cpu,cpuacct). */
    private List<Path> hierarchies() {
        LinkedHashSet<Path> mounts = new LinkedHashSet<>();
        for (String controller : CgroupLayout.V1_CONTROLLERS) {
            mounts.add(layout.v1Mounts().get(controller));
        }
        return List.copyOf(mounts);
    }

    private Path dir(String controller, String id) {
        return layout.v1Mounts().get(controller).resolve(parent).resolve(id);
    }

    private String name(String id) {
        return parent + "/" + id;
    }

    private static void undo(List<Path> made) {
        for (Path dir : made) {
            try {
                Files.deleteIfExists(dir);
            } catch (IOException ignored) {
                // best effort: the original failure is what the caller needs to see
            }
        }
    }
}
