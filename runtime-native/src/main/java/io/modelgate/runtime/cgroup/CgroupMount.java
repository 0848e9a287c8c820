package io.modelgate.runtime.cgroup;

import java.nio.file.Path;
import java.util.Set;

/**
 * One cgroup or cgroup2 mount from /proc/self/mountinfo: where it is mounted, which part of the hierarchy
 * it shows ({@code root}) and, for v1, which controllers are bound to it.
 */
record CgroupMount(boolean unified, Path mountPoint, String root, Set<String> controllers) {
    CgroupMount {
        if (!mountPoint.isAbsolute()) {
            throw new IllegalArgumentException("cgroup mount point " + mountPoint + " is not absolute");
        }
        controllers = Set.copyOf(controllers);
    }
}
