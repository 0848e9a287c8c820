package io.modelgate.runtime.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** This process's mount table (/proc/self/mountinfo), read for what is mounted under a directory. */
final class Mounts {
    private Mounts() {
    }

    /** Mount points at or below {@code dir}, deepest first so that they can be unmounted in order. */
    static List<Path> under(Path dir) throws IOException {
        return under(dir, Files.readString(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8));
    }

    static List<Path> under(Path dir, String mountinfo) {
        List<Path> found = new ArrayList<>();
        for (String line : mountinfo.split("\n")) {
            String[] fields = line.split(" ");
            if (fields.length > 4) {
                Path mountPoint = Path.of(unescape(fields[4]));
                if (mountPoint.startsWith(dir)) {
                    found.add(mountPoint);
                }
            }
        }
        found.sort(Comparator.comparingInt(Path::getNameCount).reversed());
        return found;
    }

    /** mountinfo writes space, tab, newline and backslash as \040, \011, \012 and \134. */
    static String unescape(String field) {
        StringBuilder out = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && i + 3 < field.length() && field.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                out.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
