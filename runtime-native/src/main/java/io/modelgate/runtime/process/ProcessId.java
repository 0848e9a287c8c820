package io.modelgate.runtime.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A pid with the process's start time (field 22 of /proc/pid/stat): together they name one process for good, so a
 * recycled pid is never mistaken for the container.
 */
record ProcessId(long pid, long startTime) {

    /** Alive and not a zombie, and the same process as when recorded. */
    boolean isAlive() {
        String stat;
        try {
            stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return false;
        }
        try {
            // Fields resume after the command name, which may hold spaces and parentheses.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // fields[0] is field 3 (state), so field 22 (start time) is fields[19].
            return !fields[0].equals("Z") && !fields[0].equals("X") && Long.parseLong(fields[19]) == startTime;
        } catch (RuntimeException e) {
            return false; // not the stat format this was written for: not a process we know
        }
    }
}
