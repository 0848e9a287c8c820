package io.modelgate.runtime.cgroup;

import java.util.regex.Pattern;

/** Rules for the names used as path components under the cgroup hierarchies. */
final class Names {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private Names() {
    }

    static void checkId(String id) {
        if (id == null || !NAME.matcher(id).matches()) {
            throw new IllegalArgumentException("cgroup name '" + id + "' must be 1-128 letters, digits, '_', '.' "
                    + "or '-', starting with a letter or digit (it becomes a directory name)");
        }
    }

    static void checkParent(String parent) {
        if (parent == null || parent.isEmpty()) {
            throw new IllegalArgumentException("cgroup parent must not be empty (e.g. \"modelgate\")");
        }
        for (String part : parent.split("/", -1)) {
            if (!NAME.matcher(part).matches()) {
                throw new IllegalArgumentException("cgroup parent '" + parent + "' must be a relative path of "
                        + "names made of letters, digits, '_', '.' or '-' (e.g. \"modelgate\")");
            }
        }
    }
}
