package io.modelgate.runtime.cgroup;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The cgroups of modelgate's containers, one per container id under a parent ({@code modelgate} by default):
 * create one, apply {@link Limits}, put processes in it, read what it used, kill everything in it and remove it.
 * One backend is chosen at start-up from the host's {@link CgroupLayout}: {@code CgroupsV2} for a cgroup2
 * hierarchy that holds the memory, cpu and pids controllers, {@code CgroupsV1} for v1 and for the hybrid
 * layout (whose cgroup2 mount lacks memory, so the v1 hierarchies enforce the limits).
 *
 * <p>Device allow-lists are enforced on v1 and hybrid hosts through devices.deny / devices.allow. Cgroup v2 has no
 * device files: there {@link #apply} attaches an eBPF program (BPF_CGROUP_DEVICE) built from the list to the
 * cgroup, as runc does; a program cannot be read back as rules, so {@link #limits} on v2 reports the list this
 * backend applied (all devices for a container it set none on).
 *
 * <p>Thread-safe: the backends hold no state beyond the layout (and, on v2, the device lists applied); operations
 * on different ids are independent.
 */
public sealed interface Cgroups permits CgroupsV1, CgroupsV2 {

    /** The parent of every container's cgroup, in each hierarchy's root. */
    String DEFAULT_PARENT = "modelgate";

    /** The backend for this host's layout, with containers under {@value #DEFAULT_PARENT}. */
    static Cgroups detect() {
        return of(CgroupLayout.detect(), DEFAULT_PARENT);
    }

    /** The backend for this host's layout, with containers under {@code parent} (a relative path). */
    static Cgroups detect(String parent) {
        return of(CgroupLayout.detect(), parent);
    }

    /** The backend for a given layout, e.g. {@link CgroupLayout#under} a fake tree in tests. */
    static Cgroups of(CgroupLayout layout, String parent) {
        Names.checkParent(parent);
        return switch (layout.version()) {
            case V2 -> new CgroupsV2(layout, parent);
            case V1, HYBRID -> new CgroupsV1(layout, parent);
        };
    }

    CgroupLayout layout();

    /** The parent path under each hierarchy's root, e.g. {@code modelgate}. */
    String parent();

    /**
     * Creates the container's cgroup: {@code parent/id} in each v1 hierarchy, or one directory in v2 after
     * enabling memory, cpu and pids in the {@code cgroup.subtree_control} of every cgroup above it.
     *
     * @throws CgroupException when it already exists (a crash may have left it: {@link #list}, then
     *                         {@link #killAll} and {@link #remove} it) or the kernel refuses
     */
    void create(String id);

    /**
     * Writes the limits to the kernel. May be called again on a running container to change them.
     *
     * @throws CgroupException when the kernel refuses a value; on v1 a memory limit below what the cgroup already
     *                         uses and cannot reclaim is refused with the limit, the usage and what to do
     */
    void apply(String id, Limits limits);

    /** The limits as the kernel holds them now (v1 reads memory back rounded down to whole pages). */
    Limits limits(String id);

    /** Moves a process (and, from then on, the children it forks) into the container's cgroup. */
    void addProcess(String id, long pid);

    /** The processes in the container's cgroup now (cgroup.procs). */
    List<Long> processes(String id);

    CgroupStats stats(String id);

    /** How many processes the OOM killer killed for the container's memory limit (see {@link CgroupStats#oomKills}). */
    long oomKills(String id);

    /**
     * SIGKILLs every process in the container's cgroup, including ones forked meanwhile, and waits until it is
     * empty: v2 writes cgroup.kill where the kernel has it (5.14+); otherwise the cgroup is frozen, each process
     * killed and the cgroup thawed, until it is empty.
     *
     * @throws CgroupException when processes remain after {@code timeout}, naming them
     */
    void killAll(String id, Duration timeout);

    /**
     * Removes the container's cgroup from every hierarchy, retrying while the kernel still drains exiting processes.
     * Removing a cgroup that is not there is not an error.
     *
     * @throws CgroupException when it still holds processes after {@code timeout} ({@link #killAll} first)
     */
    void remove(String id, Duration timeout);

    /** The ids of the containers that have a cgroup under the parent, e.g. to find those a crash orphaned. */
    List<String> list();

    /** The container's cgroup directories, one per hierarchy (one on v2), whether they exist or not. */
    List<Path> directories(String id);
}
