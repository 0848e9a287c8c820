package io.modelgate.runtime.gpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Who holds which GPU, kept as one file per held GPU ({@code gpu0}) whose content is the container id. A claim is
 * a hard link from a fully written temporary file, and link(2) fails when the name exists: so between threads
 * and processes sharing the directory exactly one claim wins, and nobody ever sees a half-written owner.
 */
final class GpuAllocator {
    private static final Pattern CLAIM = Pattern.compile("gpu(\\d+)");
    private static final Pattern TEMP = Pattern.compile("\\.claim-(\\d+)-\\d+");
    private static final AtomicLong SEQUENCE = new AtomicLong();

    private final Path dir;

    GpuAllocator(Path dir) {
        this.dir = dir;
    }

    Path dir() {
        return dir;
    }

    /** GPU index → the container that holds it. */
    SortedMap<Integer, String> assignments() {
        SortedMap<Integer, String> held = new TreeMap<>();
        for (Path p : list()) {
            Matcher m = CLAIM.matcher(p.getFileName().toString());
            if (m.matches()) {
                read(p).ifPresent(owner -> held.put(Integer.parseInt(m.group(1)), owner));
            }
        }
        return held;
    }

    /** Takes GPU {@code index} for {@code containerId}; false when someone holds it. */
    boolean tryClaim(int index, String containerId) {
        Path temp = dir.resolve(".claim-" + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet());
        try {
            Files.createDirectories(dir);
            Files.writeString(temp, containerId + "\n", StandardCharsets.UTF_8);
            Files.createLink(dir.resolve("gpu" + index), temp);
            return true;
        } catch (FileAlreadyExistsException taken) {
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record GPU " + index + " for container " + containerId + " in " + dir, e);
        } finally {
            delete(temp);
        }
    }

    /** Frees what {@code containerId} holds; the indices freed. */
    List<Integer> release(String containerId) {
        List<Integer> freed = new ArrayList<>();
        assignments().forEach((index, owner) -> {
            if (owner.equals(containerId)) {
                delete(dir.resolve("gpu" + index));
                freed.add(index);
            }
        });
        return freed;
    }

    /**
     * Frees every GPU held by a container not in {@code live} (left behind by a crash), and temporary files of
     * processes that are gone; the containers whose GPUs were freed. {@code live} must name every running container
     * of every process sharing the directory.
     */
    List<String> releaseAllExcept(Set<String> live) {
        List<String> released = new ArrayList<>();
        assignments().forEach((index, owner) -> {
            if (!live.contains(owner)) {
                delete(dir.resolve("gpu" + index));
                if (!released.contains(owner)) {
                    released.add(owner);
                }
            }
        });
        for (Path p : list()) {
            Matcher m = TEMP.matcher(p.getFileName().toString());
            if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
                delete(p);
            }
        }
        return released;
    }

    private List<Path> list() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list GPU assignments in " + dir, e);
        }
    }

    private static Optional<String> read(Path p) {
        try {
            String owner = Files.readString(p, StandardCharsets.UTF_8).strip();
            return owner.isEmpty() ? Optional.empty() : Optional.of(owner);
        } catch (NoSuchFileException released) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read GPU assignment " + p, e);
        }
    }

    private static void delete(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + p, e);
        }
    }
}
