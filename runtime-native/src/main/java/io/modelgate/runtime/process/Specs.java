package io.modelgate.runtime.process;

import java.nio.file.Path;

/** Checks shared by the spec's value types. */
final class Specs {
    private Specs() {
    }

    static void requireNoNul(String value, String what) {
        if (value.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains a NUL character");
        }
    }

    static void requireContainerPath(String path, String what) {
        if (path == null || !path.startsWith("/")) {
            throw new IllegalArgumentException(what + " " + path + " must be an absolute path in the container");
        }
        requireNoNul(path, what);
    }

    /** overlayfs separates its options with ',' and lower dirs with ':' and has no escaping that mount(2) passes on. */
    static void requireOverlayPath(Path path, String what) {
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException(what + " " + path + " must be an absolute path");
        }
        String s = path.toString();
        requireNoNul(s, what);
        for (char c : new char[] {',', ':', '\\', '\n'}) {
            if (s.indexOf(c) >= 0) {
                throw new IllegalArgumentException(what + " " + path + " contains '" + (c == '\n' ? "\\n" : c)
                        + "', which overlayfs cannot take in its mount options; use a path without it");
            }
        }
    }
}
