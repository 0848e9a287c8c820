package io.modelgate.runtime.cgroup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Emptying and removing cgroups, shared by both backends: waiting, killing and rmdir with retries. */
final class Teardown {
    private static final long POLL_MILLIS = 10;

    private Teardown() {
    }

    /** The processes in each directory and the cgroups below it, deduplicated (v1 lists a process once per hierarchy). */
    static List<Long> processesIn(List<Path> dirs) {
        TreeSet<Long> pids = new TreeSet<>();
        for (Path dir : dirs) {
            for (Path cgroup : subtree(dir)) {
                Path procs = cgroup.resolve("cgroup.procs");
                if (Files.exists(procs)) {
                    pids.addAll(CgroupFiles.pids(procs));
                }
            }
        }
        return List.copyOf(pids);
    }

    /**
     * Until no process is left: pause the cgroup so nothing forks, SIGKILL each process, resume it so the
     * signals are delivered (a task frozen by the v1 freezer dies only once thawed), and look again.
     */
    static void killByFreezing(String name, Supplier<List<Long>> processes, Runnable freeze, Runnable thaw, Duration timeout) {
        long deadline = deadline(timeout);
        while (true) {
            List<Long> pids = processes.get();
            if (pids.isEmpty()) {
                return;
            }
            if (System.nanoTime() - deadline > 0) {
                throw stillThere(name, pids, timeout);
            }
            freeze.run();
            try {
                pids = processes.get(); // what is frozen now, forks included
                pids.forEach(Teardown::kill);
            } finally {
                thaw.run();
            }
            await(() -> processes.get().isEmpty(), Math.min(deadline, deadline(Duration.ofMillis(200))));
        }
    }

    /** Waits for the processes of a cgroup that cgroup.kill has signalled to be gone. */
    static void awaitEmpty(String name, Supplier<List<Long>> processes, Duration timeout) {
        if (!await(() -> processes.get().isEmpty(), deadline(timeout))) {
            throw stillThere(name, processes.get(), timeout);
        }
    }

    /**
     * rmdir of each directory, the cgroups below it first. The kernel refuses (EBUSY) while a process is still
     * in it, which lasts a moment after SIGKILL, so this retries until {@code timeout}.
     */
    static void removeTrees(String name, List<Path> dirs, Supplier<List<Long>> processes, Duration timeout) {
        long deadline = deadline(timeout);
        for (Path dir : dirs) {
            List<Path> cgroups = subtree(dir);
            for (int i = cgroups.size() - 1; i >= 0; i--) { // deepest first
                rmdir(name, cgroups.get(i), processes, timeout, deadline);
            }
        }
    }

    private static void rmdir(String name, Path dir, Supplier<List<Long>> processes, Duration timeout, long deadline) {
        while (true) {
            try {
                Files.delete(dir); // rmdir(2) on a directory; cgroupfs removes the control files with it
                return;
            } catch (NoSuchFileException e) {
                return;
            } catch (IOException e) {
                if (System.nanoTime() - deadline > 0) {
                    List<Long> left = processes.get();
                    throw new CgroupException("cannot remove cgroup " + name + " at " + dir + ": " + CgroupFiles.reason(e)
                            + (left.isEmpty() ? "" : "; it still holds processes " + left + " (kill them first: killAll)"), e);
                }
                sleep();
            }
        }
    }

    /** SIGKILL, unless the pid is this JVM's own (a caller's mistake that would end the runtime). */
    static void kill(long pid) {
        if (pid == ProcessHandle.current().pid()) {
            throw new CgroupException("refusing to kill pid " + pid + ": it is this JVM, which was put in a container's "
                    + "cgroup; move it out (write its pid to the parent hierarchy's cgroup.procs)");
        }
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
    }

    /** Polls {@code condition} until it holds or {@code deadline} (a System.nanoTime value) passes. */
    static boolean await(BooleanSupplier condition, long deadline) {
        while (true) {
            if (condition.getAsBoolean()) {
                return true;
            }
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            sleep();
        }
    }

    static long deadline(Duration timeout) {
        return System.nanoTime() + timeout.toNanos();
    }

    /** The directory and every directory below it, parents before children. */
    static List<Path> subtree(Path dir) {
        List<Path> all = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            all.add(dir);
            for (String child : CgroupFiles.children(dir)) {
                all.addAll(subtree(dir.resolve(child)));
            }
        }
        return all;
    }

    private static CgroupException stillThere(String name, List<Long> pids, Duration timeout) {
        return new CgroupException("cgroup " + name + " still holds processes " + pids + " " + timeout.toMillis()
                + " ms after SIGKILL (a process in uninterruptible sleep, state D in /proc/<pid>/stat, dies only "
                + "when its I/O completes); try again later");
    }

    private static void sleep() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CgroupException("interrupted while waiting on a cgroup", e);
        }
    }
}
