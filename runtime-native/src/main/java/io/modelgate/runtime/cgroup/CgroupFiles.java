package io.modelgate.runtime.cgroup;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Reads and writes cgroup control files; every failure names the file and, where it can, what to do. */
final class CgroupFiles {
    private CgroupFiles() {
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CgroupException("cannot read " + file + ": it does not exist (is the cgroup there and its "
                    + "controller enabled?)", e);
        } catch (IOException e) {
            throw new CgroupException("cannot read " + file + ": " + reason(e), e);
        }
    }

    /** A single number, or {@code max} (v2) read as {@link Long#MAX_VALUE}. */
    static long readLong(Path file) {
        return parseLong(read(file).trim(), file);
    }

    static Map<String, Long> readKeyed(Path file) {
        return keyed(read(file), file.toString());
    }

    /**
     * One write(2) of {@code value}; cgroupfs takes each write as one command, so values are never split.
     * The file is never created: a missing control file means the controller is not there.
     */
    static void write(Path file, String value) {
        try {
            writeOrThrow(file, value);
        } catch (NoSuchFileException e) {
            throw new CgroupException("cannot write '" + value + "' to " + file + ": it does not exist (is the cgroup "
                    + "there and its controller enabled?)", e);
        } catch (AccessDeniedException e) {
            throw new CgroupException("cannot write '" + value + "' to " + file + ": permission denied (modelgate "
                    + "needs root, or a cgroup delegated to its user)", e);
        } catch (IOException e) {
            throw new CgroupException("cannot write '" + value + "' to " + file + ": " + reason(e), e);
        }
    }

    static void writeOrThrow(Path file, String value) throws IOException {
        byte[] bytes = value.getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            out.write(bytes);
        }
    }

    /** The pids in a cgroup.procs file, in the kernel's order. */
    static List<Long> pids(Path procsFile) {
        List<Long> pids = new ArrayList<>();
        for (String line : read(procsFile).split("\n")) {
            if (!line.isBlank()) {
                pids.add(parseLong(line.trim(), procsFile));
            }
        }
        return pids;
    }

    /** The names of the sub-directories (child cgroups) of a directory, or none when it does not exist. */
    static List<String> children(Path dir) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new CgroupException("cannot list " + dir + ": " + reason(e), e);
        }
    }

    /**
     * A flat keyed file ({@code key value} per line: memory.events, cpu.stat, pids.events, memory.oom_control);
     * {@code where} names the file in errors.
     */
    static Map<String, Long> keyed(String text, String where) {
        Map<String, Long> values = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] kv = line.trim().split("\\s+");
            if (kv.length != 2) {
                throw new CgroupException(where + ": expected 'key value' lines, found '" + line + "'");
            }
            values.put(kv[0], parseLong(kv[1], where));
        }
        return values;
    }

    static long parseLong(String text, Object where) {
        if (text.equals("max")) {
            return Long.MAX_VALUE;
        }
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw new CgroupException(where + ": expected a number or 'max', found '" + text + "'", e);
        }
    }

    /** The kernel's reason as Java reports it ("Device or resource busy"), without repeating the path. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
