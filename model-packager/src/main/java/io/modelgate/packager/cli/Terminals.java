package io.modelgate.packager.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Whether a standard stream is a terminal, so binary archives are never sprayed onto one. */
final class Terminals {
    private Terminals() {
    }

    /** True when file descriptor 0, 1 or 2 is a terminal (Linux: what /proc/self/fd/N points at). */
    static boolean isTerminal(int fd) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | UnsupportedOperationException e) {
            return System.console() != null;
        }
    }
}
