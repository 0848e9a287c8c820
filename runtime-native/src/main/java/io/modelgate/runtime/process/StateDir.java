package io.modelgate.runtime.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** The files mg-monitor keeps for one container (see src/main/c/monitor.c) and how to read them. */
final class StateDir {
    final Path dir;

    StateDir(Path dir) {
        this.dir = dir;
    }

    Path spec() {
        return dir.resolve("spec");
    }

    Path pidFile() {
        return dir.resolve("pid");
    }

    Path monitorPidFile() {
        return dir.resolve("monitor.pid");
    }

    Path exitFile() {
        return dir.resolve("exit");
    }

    Path log() {
        return dir.resolve("ctr.log");
    }

    Path rotatedLog() {
        return dir.resolve("ctr.log.1");
    }

    Path monitorLog() {
        return dir.resolve("monitor.log");
    }

    void writeSpec(ContainerSpec spec) throws IOException {
        Path tmp = dir.resolve("spec.tmp");
        Files.write(tmp, SpecFile.write(spec), StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE, StandardOpenOption.SYNC);
        try {
            Files.move(tmp, spec(), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, spec(), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    ContainerSpec readSpec() throws IOException {
        try {
            return SpecFile.read(Files.readAllBytes(spec()), dir);
        } catch (NoSuchFileException e) {
            throw new ContainerException("no container in " + dir + " (no spec file)", e);
        }
    }

    /** "<pid> <start time>" as mg-monitor writes it. */
    static ProcessId readPidFile(Path file) throws IOException {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.US_ASCII).trim();
        } catch (NoSuchFileException e) {
            throw new ContainerException("no container in " + file.getParent() + " (no " + file.getFileName() + " file)", e);
        }
        String[] parts = content.split(" ");
        try {
            return new ProcessId(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        } catch (RuntimeException e) {
            throw new ContainerException(file + " is damaged: '" + content + "'", e);
        }
    }

    Optional<ExitStatus> readExit() throws IOException {
        String content;
        try {
            content = Files.readString(exitFile(), StandardCharsets.US_ASCII);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        Map<String, String> fields = new HashMap<>();
        for (String line : content.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                fields.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        try {
            return Optional.of(new ExitStatus(Integer.parseInt(fields.get("exit_code")), Integer.parseInt(fields.get("signal"))));
        } catch (RuntimeException e) {
            throw new ContainerException(exitFile() + " is damaged: '" + content.strip() + "'", e);
        }
    }

    String monitorLogTail() {
        try {
            String log = Files.readString(monitorLog());
            return log.length() > 2000 ? log.substring(log.length() - 2000) : log;
        } catch (IOException e) {
            return "";
        }
    }
}
