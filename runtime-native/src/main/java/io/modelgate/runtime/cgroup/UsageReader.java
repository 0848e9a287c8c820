package io.modelgate.runtime.cgroup;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Reads a container's {@link CgroupUsage} from the three files that hold it, on the hierarchies {@link Cgroups} put
 * the container in: v1 and the hybrid layout read the v1 memory and cpuacct hierarchies (the hybrid cgroup2 mount has
 * no memory controller and the container is not in it), v2 reads the container's one directory. Cheaper than
 * {@link Cgroups#stats}, which also reads the OOM, limit-hit and pids counters, so it suits a scrape every few
 * seconds per replica. Thread-safe.
 */
public final class UsageReader {
    private final Path memory;
    private final Path cpu;
    private final boolean v2;

    private UsageReader(Path memory, Path cpu, boolean v2) {
        this.memory = memory;
        this.cpu = cpu;
        this.v2 = v2;
    }

    /** A reader for the containers of {@code cgroups} (its layout and parent). */
    public static UsageReader of(Cgroups cgroups) {
        CgroupLayout layout = cgroups.layout();
        String parent = cgroups.parent();
        if (layout.version() == CgroupLayout.Version.V2) {
            Path dir = layout.unifiedMount().orElseThrow().resolve(parent);
            return new UsageReader(dir, dir, true);
        }
        return new UsageReader(layout.v1Mounts().get("memory").resolve(parent),
                layout.v1Mounts().get("cpuacct").resolve(parent), false);
    }

    /**
     * The container's usage now; empty when its cgroup is not there (never made, or removed with its container, which
     * may happen between two reads).
     *
     * @throws CgroupException when the cgroup is there but a file cannot be read or parsed, naming the file
     */
    public Optional<CgroupUsage> read(String id) {
        Names.checkId(id);
        Path memoryDir = memory.resolve(id);
        Path cpuDir = cpu.resolve(id);
        try {
            return Optional.of(v2 ? v2(memoryDir) : v1(memoryDir, cpuDir));
        } catch (CgroupException e) {
            if (!Files.isDirectory(memoryDir) || !Files.isDirectory(cpuDir)) {
                return Optional.empty(); // removed while being read
            }
            throw e;
        }
    }

    private static CgroupUsage v1(Path memoryDir, Path cpuDir) {
        long limit = CgroupFiles.readLong(memoryDir.resolve("memory.limit_in_bytes"));
        return new CgroupUsage(
                CgroupFiles.readLong(cpuDir.resolve("cpuacct.usage")),
                CgroupFiles.readLong(memoryDir.resolve("memory.usage_in_bytes")),
                // "no limit" is the largest page-aligned count the kernel holds, 2^63 - 4096 on x86-64
                limit >= LimitWrites.V1_UNLIMITED_MEMORY ? OptionalLong.empty() : OptionalLong.of(limit));
    }

    private static CgroupUsage v2(Path dir) {
        Path cpuStat = dir.resolve("cpu.stat");
        long limit = CgroupFiles.readLong(dir.resolve("memory.max"));
        return new CgroupUsage(
                CgroupStats.counter(CgroupFiles.read(cpuStat), "usage_usec", cpuStat.toString()) * 1000,
                CgroupFiles.readLong(dir.resolve("memory.current")),
                limit == Long.MAX_VALUE ? OptionalLong.empty() : OptionalLong.of(limit));
    }
}
