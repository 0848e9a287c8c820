package io.modelgate.runtime.process;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * One container, started by {@link #start} or found again by {@link #attach} — e.g. after this JVM restarted. The
 * native mg-monitor started it and stays with it, whether or not this JVM does: it keeps the output in a size-bounded
 * log, forwards SIGTERM and SIGINT, and records the exit status in the state directory. A handle holds no resources;
 * dropping it leaves the container running. {@link #cleanup} removes the container and everything it left behind.
 */
public final class ContainerProcess {
    private static final int SIGKILL = 9;
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);

    private final ContainerSpec spec;
    private final StateDir state;
    private final ProcessId init;
    private final ProcessId monitor;

    private ContainerProcess(ContainerSpec spec, StateDir state, ProcessId init, ProcessId monitor) {
        this.spec = spec;
        this.state = state;
        this.init = init;
        this.monitor = monitor;
    }

    /** Starts the container; returns once its program runs (execve succeeded). */
    public static ContainerProcess start(ContainerSpec spec) throws IOException {
        return start(spec, Prestart.NONE);
    }

    /**
     * Starts the container, running {@code prestart} while its init exists in its namespaces and cgroups but has not run
     * anything yet. A step that fails — a missing bind source, an unknown program — comes back as a
     * {@link ContainerException} naming the container, the step and the reason; then nothing is left behind.
     */
    public static ContainerProcess start(ContainerSpec spec, Prestart prestart) throws IOException {
        StateDir state = new StateDir(spec.stateDir());
        createStateDir(spec);
        try {
            state.writeSpec(spec);
            ProcessId init = new Launch(spec, state).run(prestart);
            return new ContainerProcess(spec, state, init, StateDir.readPidFile(state.monitorPidFile()));
        } catch (IOException | RuntimeException | Error e) {
            try {
                abandon(state);
            } catch (IOException | InterruptedException suppressed) {
                if (suppressed instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** After a failed start: kills the container if it got as far as running, then removes its state dir. */
    private static void abandon(StateDir state) throws IOException, InterruptedException {
        if (Files.exists(state.pidFile())) {
            ProcessId init = StateDir.readPidFile(state.pidFile());
            if (init.isAlive()) {
                try {
                    Syscalls.sendSignal(init, SIGKILL);
                } catch (ContainerException e) {
                    if (e.errno() != Syscalls.ESRCH) {
                        throw e;
                    }
                }
            }
            awaitGone(init, state.dir);
        }
        deleteTree(state.dir);
    }

    private static void awaitGone(ProcessId process, Path stateDir) throws ContainerException, InterruptedException {
        long deadline = System.nanoTime() + KILL_TIMEOUT.toNanos();
        while (process.isAlive()) {
            if (System.nanoTime() > deadline) {
                throw new ContainerException("process " + process.pid() + " of the container in " + stateDir
                        + " is still there " + KILL_TIMEOUT.toSeconds() + " s after SIGKILL");
            }
            Thread.sleep(5);
        }
    }

    /** A handle on the container whose state is in {@code stateDir}, running or not. */
    public static ContainerProcess attach(Path stateDir) throws IOException {
        StateDir state = new StateDir(stateDir);
        ContainerSpec spec = state.readSpec();
        return new ContainerProcess(spec, state, StateDir.readPidFile(state.pidFile()),
                StateDir.readPidFile(state.monitorPidFile()));
    }

    public String id() {
        return spec.id();
    }

    public ContainerSpec spec() {
        return spec;
    }

    public Path stateDir() {
        return state.dir;
    }

    /** The container's init (its PID 1) as the host sees it. */
    public long pid() {
        return init.pid();
    }

    public long monitorPid() {
        return monitor.pid();
    }

    public boolean isRunning() {
        return !Files.exists(state.exitFile()) && init.isAlive();
    }

    /** How the container ended; empty while it runs. */
    public Optional<ExitStatus> exitStatus() throws IOException {
        return state.readExit();
    }

    /** Waits until the container has ended and its monitor recorded how; empty when the timeout passes first. */
    public Optional<ExitStatus> waitFor(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 1;
        for (;;) {
            Optional<ExitStatus> status = state.readExit();
            if (status.isPresent()) {
                return status;
            }
            if (!monitor.isAlive() && !init.isAlive()) {
                status = state.readExit(); // the monitor may have written it just before exiting
                if (status.isPresent()) {
                    return status;
                }
                throw new ContainerException("container " + id() + ": its monitor (pid " + monitor.pid()
                        + ") is gone and recorded no exit status; see " + state.monitorLog());
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            Thread.sleep(Math.min(pause, Math.max(1, left / 1_000_000)));
            pause = Math.min(pause * 2, 50);
        }
    }

    /**
     * Sends a signal to the container's init. As PID 1 of its namespace it only receives signals it has a handler for;
     * SIGKILL always works.
     */
    public void signal(int signal) throws IOException {
        if (Files.exists(state.exitFile())) {
            throw new ContainerException("container " + id() + ": cannot send signal " + signal + ", it has exited", Syscalls.ESRCH, null);
        }
        try {
            Syscalls.sendSignal(init, signal);
        } catch (ContainerException e) {
            throw new ContainerException("container " + id() + ": " + e.getMessage(), e.errno(), e);
        }
    }

    /** What the container wrote to stdout and stderr, oldest first, as far back as the rotated log reaches. */
    public List<LogEntry> logs() throws IOException {
        return LogFile.read(state.rotatedLog(), state.log());
    }

    /**
     * Changes whenever the log does (the current file's size and modification time), so that a follower can poll
     * this and read the log only when it grew or rotated.
     */
    public String logStamp() throws IOException {
        try {
            var attrs = java.nio.file.Files.readAttributes(state.log(), java.nio.file.attribute.BasicFileAttributes.class);
            return attrs.size() + "@" + attrs.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.nio.file.NoSuchFileException e) {
            return "none";
        }
    }

    /**
     * Runs a program inside the running container (its namespaces and cgroups, user, capabilities, environment and
     * working directory), like {@code docker exec}. The returned process's streams are the program's; its exit value
     * is the program's, 126 when it could not be set up and 127 when the program was not found (with the reason on
     * stderr).
     */
    public Process exec(List<String> argv) throws IOException {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("exec in container " + id() + ": argv is empty");
        }
        argv.forEach(arg -> Specs.requireNoNul(arg, "argument"));
        List<String> command = new ArrayList<>();
        command.add(NativeBinaries.path(NativeBinaries.EXEC).toString());
        command.add(state.dir.toString());
        command.add("--");
        command.addAll(argv);
        return new ProcessBuilder(command).start();
    }

    /**
     * Kills the container if it still runs, then removes its state directory — writable layer, logs, exit status —
     * and unmounts anything still mounted under it, so that nothing is left behind.
     */
    public void cleanup() throws IOException, InterruptedException {
        if (isRunning()) {
            try {
                Syscalls.sendSignal(init, SIGKILL);
            } catch (ContainerException e) {
                if (e.errno() != Syscalls.ESRCH) {
                    throw new ContainerException("container " + id() + ": " + e.getMessage(), e.errno(), e);
                }
            }
        }
        // The monitor writes the exit file last and then exits: wait for both, so nothing writes into a deleted dir.
        awaitGone(init, state.dir);
        awaitGone(monitor, state.dir);
        for (Path mount : Mounts.under(state.dir)) {
            Syscalls.umountDetach(mount);
        }
        deleteTree(state.dir);
    }

    @Override
    public String toString() {
        return "container " + id() + " (pid " + init.pid() + ", state " + state.dir + ")";
    }

    private static void createStateDir(ContainerSpec spec) throws IOException {
        Path dir = spec.stateDir();
        Files.createDirectories(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (FileAlreadyExistsException e) {
            try (Stream<Path> entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new ContainerException("container " + spec.id() + ": state dir " + dir
                            + " already holds a container; clean that one up or choose another dir", e);
                }
            }
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                try {
                    Files.deleteIfExists(p);
                } catch (DirectoryNotEmptyException e) {
                    throw new ContainerException("cannot remove " + p + ": something is still mounted or writing there", e);
                }
            }
        } catch (UncheckedIOException e) {
            if (!(e.getCause() instanceof NoSuchFileException)) {
                throw e.getCause();
            }
        }
    }

    /** The conversation with a starting mg-monitor (the protocol is in src/main/c/monitor.c). */
    private static final class Launch {
        private final ContainerSpec spec;
        private final StateDir state;

        Launch(ContainerSpec spec, StateDir state) {
            this.spec = spec;
            this.state = state;
        }

        ProcessId run(Prestart prestart) throws IOException {
            ProcessBuilder builder = new ProcessBuilder(NativeBinaries.path(NativeBinaries.MONITOR).toString(), state.dir.toString())
                    .redirectError(ProcessBuilder.Redirect.appendTo(state.monitorLog().toFile()));
            Process process = builder.start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 Writer in = process.outputWriter(StandardCharsets.UTF_8)) {
                String line = out.readLine();
                if (line == null || !line.startsWith("pid ")) {
                    throw failure(line);
                }
                ProcessId init = StateDir.readPidFile(state.pidFile());
                try {
                    prestart.run(init.pid());
                } catch (IOException | RuntimeException e) {
                    // Closing stdin without "go" makes the monitor kill the child; wait until it has.
                    in.close();
                    drain(out);
                    throw new ContainerException("container " + spec.id() + ": prestart failed: " + e.getMessage(), e);
                }
                in.write("go\n");
                in.flush();
                line = out.readLine();
                if (!"ok".equals(line)) {
                    throw failure(line);
                }
                return init;
            } finally {
                waitQuietly(process);
            }
        }

        private ContainerException failure(String line) {
            if (line != null && line.startsWith("error\t")) {
                String[] parts = line.split("\t", 3);
                int errno = parts.length == 3 && parts[1].matches("\\d+") ? Integer.parseInt(parts[1]) : 0;
                return new ContainerException("container " + spec.id() + ": " + parts[parts.length - 1], errno, null);
            }
            return new ContainerException("container " + spec.id() + ": mg-monitor stopped without saying why"
                    + (line == null ? "" : " (it said '" + line + "')") + "; its log: " + state.monitorLogTail().strip());
        }

        private static void drain(BufferedReader out) throws IOException {
            while (out.readLine() != null) {
                // until the monitor closes its end, i.e. has exited
            }
        }

        private static void waitQuietly(Process process) {
            // The first mg-monitor process exits as soon as it has detached the real monitor.
            try {
                process.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
