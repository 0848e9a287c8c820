package io.modelgate.runtime.cgroup;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses the text of /proc/self/mountinfo (proc(5)) and keeps the cgroup and cgroup2 mounts:
 * {@code id parent major:minor root mount-point options [optional...] - fstype source super-options}.
 */
final class MountInfo {
    /** The v1 controllers the kernel knows; super options hold other words too (rw, xattr, name=systemd…). */
    static final Set<String> V1_CONTROLLERS = Set.of("cpuset", "cpu", "cpuacct", "blkio", "io", "memory", "devices",
            "freezer", "net_cls", "net_prio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug");

    private MountInfo() {
    }

    /** The cgroup mounts in the order the kernel lists them (a mount listed later may hide an earlier one). */
    static List<CgroupMount> cgroupMounts(String mountinfo) {
        List<CgroupMount> mounts = new ArrayList<>();
        int number = 0;
        for (String line : mountinfo.split("\n")) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.trim().split(" ");
            int separator = Arrays.asList(fields).indexOf("-");
            if (separator < 6 || fields.length < separator + 4) {
                throw new IllegalArgumentException("mountinfo line " + number + " is malformed (expected "
                        + "'id parent major:minor root mount-point options ... - fstype source super-options'): " + line);
            }
            String fsType = fields[separator + 1];
            if (!fsType.equals("cgroup") && !fsType.equals("cgroup2")) {
                continue;
            }
            Set<String> controllers = new LinkedHashSet<>();
            for (String option : fields[separator + 3].split(",")) {
                if (V1_CONTROLLERS.contains(option)) {
                    controllers.add(option);
                }
            }
            boolean unified = fsType.equals("cgroup2");
            mounts.add(new CgroupMount(unified, Path.of(unescape(fields[4])), unescape(fields[3]),
                    unified ? Set.of() : controllers));
        }
        return mounts;
    }

    /** mountinfo writes space, tab, newline and backslash in paths as three-digit octal escapes (\040). */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1) && isOctal(field, i + 2) && isOctal(field, i + 3)) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static boolean isOctal(String s, int index) {
        return index < s.length() && s.charAt(index) >= '0' && s.charAt(index) <= '7';
    }
}
