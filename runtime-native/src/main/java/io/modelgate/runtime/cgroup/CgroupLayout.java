package io.modelgate.runtime.cgroup;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Where this host's cgroup hierarchies are mounted and which of them modelgate uses: pure cgroup v2, pure v1, or
 * the hybrid layout (v1 controllers plus a cgroup2 mount that lacks the memory controller), in which the v1
 * hierarchies enforce the limits. Built from the text of /proc/self/mountinfo, /proc/self/cgroup and the
 * cgroup2 root's cgroup.controllers, so it is tested on captured samples of each layout.
 *
 * @param version          which backend the layout calls for
 * @param v1Mounts         each v1 controller and its mount point (co-mounted controllers share one)
 * @param unifiedMount     the cgroup2 mount, if there is one
 * @param unifiedControllers the controllers the cgroup2 root offers (its cgroup.controllers)
 * @param processCgroups   this process's cgroup per controller ({@code cgroup2} for the unified hierarchy),
 *                         from /proc/self/cgroup; used in messages
 */
public record CgroupLayout(Version version, Map<String, Path> v1Mounts, Optional<Path> unifiedMount,
                           Set<String> unifiedControllers, Map<String, String> processCgroups) {

    /** The controllers that enforce {@link Limits}: every layout must offer these in one place. */
    static final List<String> LIMIT_CONTROLLERS = List.of("memory", "cpu", "pids");
    /** The v1 hierarchies a container's cgroup is created in: limits, accounting, devices and freezing. */
    static final List<String> V1_CONTROLLERS = List.of("memory", "cpu", "cpuacct", "pids", "devices", "freezer");

    /** The cgroup layouts modelgate knows; each picks its backend. */
    public enum Version {
        /** Everything in one cgroup2 hierarchy (most current distributions). */
        V2,
        /** Only v1 hierarchies, one per controller or co-mounted group. */
        V1,
        /** v1 hierarchies for the controllers plus a cgroup2 mount without memory; limits go to v1. */
        HYBRID
    }

    public CgroupLayout {
        v1Mounts = Map.copyOf(v1Mounts);
        unifiedControllers = Set.copyOf(unifiedControllers);
        processCgroups = Map.copyOf(processCgroups);
        if (version == Version.V2) {
            if (unifiedMount.isEmpty()) {
                throw new IllegalArgumentException("a cgroup v2 layout needs a cgroup2 mount");
            }
        } else {
            Set<String> mounted = v1Mounts.keySet();
            List<String> missing = V1_CONTROLLERS.stream().filter(c -> !mounted.contains(c)).toList();
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("a cgroup " + version + " layout needs v1 mounts of " + missing);
            }
            if (version == Version.HYBRID && unifiedMount.isEmpty()) {
                throw new IllegalArgumentException("a hybrid cgroup layout needs a cgroup2 mount");
            }
        }
    }

    /** This host's layout, from /proc/self/mountinfo, /proc/self/cgroup and the cgroup2 root's cgroup.controllers. */
    public static CgroupLayout detect() {
        String mountinfo = readProc(Path.of("/proc/self/mountinfo"));
        String procCgroup = readProc(Path.of("/proc/self/cgroup"));
        String controllers = unifiedMount(MountInfo.cgroupMounts(mountinfo))
                .map(m -> CgroupFiles.read(m.resolve("cgroup.controllers")))
                .orElse("");
        return parse(mountinfo, procCgroup, controllers);
    }

    /**
     * Decides the layout from captured text: the content of /proc/self/mountinfo, of /proc/self/cgroup and of
     * {@code cgroup.controllers} at the root of the cgroup2 mount (empty when there is none).
     *
     * @throws CgroupException when no hierarchy can enforce memory, cpu and pids limits, saying what to mount
     */
    public static CgroupLayout parse(String mountinfo, String procSelfCgroup, String unifiedControllers) {
        List<CgroupMount> mounts = MountInfo.cgroupMounts(mountinfo);
        Map<String, Path> v1 = new TreeMap<>();
        for (CgroupMount mount : preferringHierarchyRoots(mounts)) {
            if (!mount.unified()) {
                mount.controllers().forEach(c -> v1.putIfAbsent(c, mount.mountPoint()));
            }
        }
        Optional<Path> unified = unifiedMount(mounts);
        Set<String> offered = new TreeSet<>(Arrays.asList(unifiedControllers.trim().split("\\s+")));
        offered.remove("");
        Map<String, String> process = ProcCgroup.memberships(procSelfCgroup);

        if (unified.isPresent() && offered.containsAll(LIMIT_CONTROLLERS)) {
            return new CgroupLayout(Version.V2, v1, unified, offered, process);
        }
        if (v1.keySet().containsAll(LIMIT_CONTROLLERS)) {
            List<String> missing = V1_CONTROLLERS.stream().filter(c -> !v1.containsKey(c)).toList();
            if (!missing.isEmpty()) {
                throw new CgroupException("cgroup v1 controller(s) " + String.join(", ", missing) + " are not mounted; "
                        + "modelgate needs " + String.join(", ", V1_CONTROLLERS) + " (mount each, e.g. mkdir -p "
                        + "/sys/fs/cgroup/" + missing.get(0) + " && mount -t cgroup -o " + missing.get(0) + " cgroup "
                        + "/sys/fs/cgroup/" + missing.get(0) + ")");
            }
            return new CgroupLayout(unified.isPresent() ? Version.HYBRID : Version.V1, v1, unified, offered, process);
        }
        throw new CgroupException("no cgroup hierarchy on this host can enforce memory, cpu and pids limits: "
                + "cgroup v1 mounts " + (v1.isEmpty() ? "no controllers" : "controllers " + v1.keySet())
                + unified.map(u -> ", the cgroup2 mount at " + u + " offers " + offered + " (its cgroup.controllers)")
                        .orElse(" and there is no cgroup2 mount")
                + "; boot with systemd.unified_cgroup_hierarchy=1 for cgroup v2, or mount the v1 memory, cpu and "
                + "pids controllers under /sys/fs/cgroup");
    }

    /**
     * The same layout with every mount point moved under {@code root} ({@code /sys/fs/cgroup/memory} becomes
     * {@code root/sys/fs/cgroup/memory}), so that a fake tree can stand in for the kernel's in tests.
     */
    public CgroupLayout under(Path root) {
        Map<String, Path> moved = new LinkedHashMap<>();
        v1Mounts.forEach((controller, mount) -> moved.put(controller, rebase(root, mount)));
        return new CgroupLayout(version, moved, unifiedMount.map(u -> rebase(root, u)), unifiedControllers, processCgroups);
    }

    /** One line for logs and error messages: the version and where each hierarchy modelgate uses is mounted. */
    public String describe() {
        return switch (version) {
            case V2 -> "cgroup v2 at " + unifiedMount.orElseThrow() + " (controllers " + String.join(" ", new TreeSet<>(unifiedControllers)) + ")";
            case V1 -> "cgroup v1 (" + v1Summary() + ")";
            case HYBRID -> "hybrid cgroups: v1 for limits (" + v1Summary() + "), cgroup2 at " + unifiedMount.orElseThrow()
                    + " without the memory controller (offers " + (unifiedControllers.isEmpty() ? "none" : String.join(" ", new TreeSet<>(unifiedControllers))) + ")";
        };
    }

    private String v1Summary() {
        List<String> parts = new ArrayList<>();
        for (String controller : V1_CONTROLLERS) {
            parts.add(controller + " at " + v1Mounts.get(controller));
        }
        return String.join(", ", parts);
    }

    private static Path rebase(Path root, Path mount) {
        return root.resolve(mount.toString().substring(1));
    }

    private static Optional<Path> unifiedMount(List<CgroupMount> mounts) {
        return preferringHierarchyRoots(mounts).stream().filter(CgroupMount::unified).map(CgroupMount::mountPoint).findFirst();
    }

    /** A hierarchy may be mounted twice (a bind of a sub-tree); the mount of its root is the one to work in. */
    private static List<CgroupMount> preferringHierarchyRoots(List<CgroupMount> mounts) {
        List<CgroupMount> ordered = new ArrayList<>(mounts.stream().filter(m -> m.root().equals("/")).toList());
        mounts.stream().filter(m -> !m.root().equals("/")).forEach(ordered::add);
        return ordered;
    }

    private static String readProc(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + CgroupFiles.reason(e) + " (is /proc mounted?)", e);
        }
    }
}
