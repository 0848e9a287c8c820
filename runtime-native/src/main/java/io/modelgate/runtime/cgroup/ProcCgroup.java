package io.modelgate.runtime.cgroup;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Parses the text of /proc/self/cgroup (cgroups(7)): {@code hierarchy-id:controllers:path} per line, where the
 * cgroup2 line is {@code 0::path}. The result maps each v1 controller (and {@value #UNIFIED} for the cgroup2
 * line) to the process's cgroup path in that hierarchy.
 */
final class ProcCgroup {
    /** The key under which the cgroup2 (unified) membership is returned. */
    static final String UNIFIED = "cgroup2";

    private ProcCgroup() {
    }

    static Map<String, String> memberships(String text) {
        Map<String, String> memberships = new LinkedHashMap<>();
        int number = 0;
        for (String line : text.split("\n")) {
            number++;
            if (line.isBlank()) {
                continue;
            }
            String[] fields = line.split(":", 3); // the path itself may hold colons
            if (fields.length != 3 || !fields[0].chars().allMatch(Character::isDigit) || fields[0].isEmpty()) {
                throw new IllegalArgumentException("/proc/self/cgroup line " + number
                        + " is malformed (expected 'hierarchy-id:controllers:path'): " + line);
            }
            if (fields[0].equals("0") && fields[1].isEmpty()) {
                memberships.put(UNIFIED, fields[2]);
                continue;
            }
            for (String controller : fields[1].split(",")) {
                if (!controller.isEmpty()) {
                    memberships.put(controller, fields[2]);
                }
            }
        }
        return memberships;
    }
}
