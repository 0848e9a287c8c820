package io.modelgate.runtime.cli;

import io.modelgate.packager.cli.CliContext;
import io.modelgate.packager.image.Json;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.container.PortMapping;
import io.modelgate.runtime.container.RunRequest;
import io.modelgate.runtime.container.VolumeMount;
import io.modelgate.runtime.process.ExitStatus;
import io.modelgate.runtime.process.LogEntry;
import io.modelgate.runtime.process.NetworkMode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** The container commands, named and behaving as Docker's: run, ps, logs, stop, kill, rm, exec, volume. */
final class RuntimeCommands {
    private RuntimeCommands() {
    }

    abstract static class Base extends CliContext {
        Containers containers() {
            return Containers.open(home());
        }

        /** Acts on each named container in turn and prints its name once done, as docker stop, kill and rm do. */
        int eachContainer(List<String> names, ContainerAction action) throws Exception {
            for (String n : names) {
                action.apply(n);
                out().println(n);
            }
            out().flush();
            return 0;
        }
    }

    @FunctionalInterface
    interface ContainerAction {
        void apply(String container) throws Exception;
    }

    @Command(name = "run", description = {"Run an image as a container: its own namespaces, an overlay root, cgroup limits, "
            + "and (by default) its own address on the bridge network.",
            "In the foreground, prints the container's output and exits with its status (137 after SIGKILL)."})
    static final class Run extends Base {
        @Option(names = "--rm", description = "Remove the container when it exits.")
        boolean remove;

        @Option(names = {"-d", "--detach"}, description = "Run in the background and print the container id.")
        boolean detach;

        @Option(names = "--name", paramLabel = "NAME", description = "A unique name (default: mg-<id>).")
        String name;

        @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable (over the image's).")
        List<String> env = new ArrayList<>();

        @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory (default: the image's).")
        String workdir;

        @Option(names = {"-u", "--user"}, paramLabel = "UID[:GID]", description = "User and group, by number or name (default: the image's).")
        String user;

        @Option(names = {"-m", "--memory"}, paramLabel = "SIZE", description = "Memory limit, e.g. 256m, 1g.")
        String memory;

        @Option(names = "--cpus", paramLabel = "N", description = "CPU limit, e.g. 0.5.")
        double cpus;

        @Option(names = "--pids-limit", paramLabel = "N", description = "Most processes the container may have.")
        long pids;

        @Option(names = {"-v", "--volume"}, paramLabel = "SRC:DST[:ro]", description = "A host path or a named volume.")
        List<String> volumes = new ArrayList<>();

        @Option(names = "--tmpfs", paramLabel = "DIR", description = "Mount an empty tmpfs at DIR.")
        List<String> tmpfs = new ArrayList<>();

        @Option(names = "--network", paramLabel = "bridge|host|none", defaultValue = "bridge", description = "bridge: own address (default); host: the host's network; none: loopback only.")
        String network;

        @Option(names = {"-p", "--publish"}, paramLabel = "[ADDR:]HOSTPORT:CTRPORT", description = "Publish a port (on 127.0.0.1 by default).")
        List<String> ports = new ArrayList<>();

        @Option(names = "--gpus", paramLabel = "all|N|device=0,1", description = "NVIDIA GPUs, given exclusively: all, a count, or devices.")
        String gpus;

        @Option(names = "--read-only", description = "Mount the container's root read-only.")
        boolean readOnly;

        @Option(names = "--entrypoint", paramLabel = "CMD", description = "Replaces the image's Entrypoint.")
        String entrypoint;

        @Parameters(index = "0", paramLabel = "IMAGE", description = "An image in the store (see 'modelgate images').")
        String image;

        @Override
        public boolean stopsAtPositional() {
            return true;
        }

        @Parameters(index = "1..*", paramLabel = "CMD", description = "Replaces the image's Cmd.")
        List<String> command = new ArrayList<>();

        @Override
        public Integer call() throws Exception {
            RunRequest request = RunRequest.of(image)
                    .withName(name)
                    .withCommand(command)
                    .withEnv(env)
                    .withWorkingDir(workdir)
                    .withUser(user)
                    .withMemoryBytes(memory == null ? 0 : parseSize(memory))
                    .withCpus(cpus)
                    .withPidsLimit(pids)
                    .withVolumes(volumes.stream().map(VolumeMount::parse).toList())
                    .withTmpfs(tmpfs)
                    .withNetwork(parseNetwork(network))
                    .withPorts(ports.stream().map(PortMapping::parse).toList())
                    .withGpus(gpus)
                    .withReadOnly(readOnly);
            if (entrypoint != null) {
                request = request.withEntrypoint(List.of(entrypoint));
            }
            Containers containers = containers();
            ContainerInfo info = containers.run(request);
            if (detach) {
                out().println(info.id());
                out().flush();
                return 0;
            }
            Thread forward = new Thread(() -> {
                try {
                    containers.stop(info.id(), Duration.ofSeconds(10));
                } catch (Exception ignored) {
                    // best effort on Ctrl-C
                }
            });
            Runtime.getRuntime().addShutdownHook(forward);
            ExitStatus status = follow(containers, info.id(), out(), err(), true).orElseThrow();
            Runtime.getRuntime().removeShutdownHook(forward);
            ContainerInfo after = containers.inspect(info.id());
            if (after.oomKilled()) {
                err().println("modelgate: container " + after.name() + " was killed by the OOM killer (memory limit "
                        + after.limits().getOrDefault("memoryBytes", "?") + " bytes)");
            }
            err().flush();
            if (remove) {
                containers.remove(info.id(), true);
            }
            return status.code();
        }
    }

    /** Prints the container's log as it grows until it exits (follow) or once; returns its exit status. */
    static Optional<ExitStatus> follow(Containers containers, String id, PrintWriter out, PrintWriter err, boolean untilExit)
            throws IOException, InterruptedException {
        int printed = 0;
        Instant lastTime = Instant.MIN;
        while (true) {
            Optional<ExitStatus> status = containers.waitFor(id, Duration.ofMillis(100));
            List<LogEntry> entries = containers.logs(id);
            // The log rotates: skip what was already printed by position, and by time after a rotation.
            int start = printed <= entries.size() ? printed : 0;
            for (int i = start; i < entries.size(); i++) {
                LogEntry e = entries.get(i);
                if (start == 0 && printed > 0 && !e.time().isAfter(lastTime)) {
                    continue;
                }
                (e.stream() == LogEntry.Stream.STDERR ? err : out).println(e.text());
                lastTime = e.time();
            }
            printed = entries.size();
            out.flush();
            err.flush();
            if (status.isPresent() || !untilExit) {
                return status;
            }
        }
    }

    @Command(name = "ps", description = "List containers.")
    static final class Ps extends Base {
        @Option(names = {"-a", "--all"}, description = "Also stopped containers.")
        boolean all;

        @Option(names = {"-q", "--quiet"}, description = "Only ids.")
        boolean quiet;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = out();
            if (!quiet) {
                out.printf("%-14s %-24s %-28s %-26s %-26s %s%n", "CONTAINER ID", "IMAGE", "COMMAND", "STATUS", "PORTS", "NAMES");
            }
            for (ContainerInfo c : containers().list(all)) {
                if (quiet) {
                    out.println(c.shortId());
                    continue;
                }
                String cmd = "\"" + String.join(" ", c.command()) + "\"";
                if (cmd.length() > 27) {
                    cmd = cmd.substring(0, 24) + "…\"";
                }
                String status = switch (c.state()) {
                    case "running" -> "Up" + (c.address() == null ? "" : " at " + c.address());
                    case "exited" -> "Exited (" + c.exitCode() + ")" + (c.oomKilled() ? " OOM-killed" : "");
                    default -> c.state();
                };
                out.printf("%-14s %-24s %-28s %-26s %-26s %s%n", c.shortId(), c.image(), cmd, status,
                        String.join(",", c.ports().stream().map(PortMapping::toString).toList()), c.name());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "logs", description = "Print a container's output (stdout and stderr).")
    static final class Logs extends Base {
        @Option(names = {"-f", "--follow"}, description = "Keep printing until the container exits.")
        boolean follow;

        @Parameters(paramLabel = "CONTAINER")
        String container;

        @Override
        public Integer call() throws Exception {
            follow(containers(), container, out(), err(), follow);
            return 0;
        }
    }

    @Command(name = "stop", description = "Stop containers: SIGTERM, then after the grace period every process is killed.")
    static final class Stop extends Base {
        @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", defaultValue = "10")
        long seconds;

        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            Containers containers = containers();
            return eachContainer(names, n -> containers.stop(n, Duration.ofSeconds(seconds)));
        }
    }

    @Command(name = "kill", description = "Send a signal to containers (SIGKILL by default: every process of the container).")
    static final class Kill extends Base {
        @Option(names = {"-s", "--signal"}, paramLabel = "SIGNAL", defaultValue = "KILL")
        String signal;

        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            int number = signalNumber(signal);
            Containers containers = containers();
            return eachContainer(names, n -> containers.kill(n, number));
        }
    }

    @Command(name = "rm", description = "Remove containers and everything they held (mounts, cgroup, network, writable layer).")
    static final class Rm extends Base {
        @Option(names = {"-f", "--force"}, description = "Kill a running container first.")
        boolean force;

        @Parameters(arity = "1..*", paramLabel = "CONTAINER")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            Containers containers = containers();
            return eachContainer(names, n -> containers.remove(n, force));
        }
    }

    @Command(name = "exec", description = "Run a command in a running container.")
    static final class Exec extends Base {
        @Parameters(index = "0", paramLabel = "CONTAINER")
        String container;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD")
        List<String> command;

        @Override
        public boolean stopsAtPositional() {
            return true;
        }

        @Override
        public Integer call() throws Exception {
            Process p = containers().exec(container, command);
            Thread o = pump(p.getInputStream(), System.out);
            Thread e = pump(p.getErrorStream(), System.err);
            p.getOutputStream().close();
            int code = p.waitFor();
            o.join();
            e.join();
            return code;
        }

        private static Thread pump(InputStream in, OutputStream out) {
            Thread t = new Thread(() -> {
                try {
                    in.transferTo(out);
                    out.flush();
                } catch (IOException ignored) {
                    // the program ended
                }
            });
            t.start();
            return t;
        }
    }

    @Command(name = "volume", description = "Manage named volumes.", subcommands = {VolumeCreate.class, VolumeLs.class, VolumeRm.class})
    static final class Volume extends Base {
        @Override
        public Integer call() {
            spec.commandLine().usage(err());
            return 2;
        }
    }

    @Command(name = "create", description = "Create a volume.")
    static final class VolumeCreate extends Base {
        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() throws Exception {
            containers().volumes().create(name);
            out().println(name);
            out().flush();
            return 0;
        }
    }

    @Command(name = "ls", description = "List volumes.")
    static final class VolumeLs extends Base {
        @Override
        public Integer call() throws Exception {
            out().println("VOLUME NAME");
            containers().volumes().list().forEach(out()::println);
            out().flush();
            return 0;
        }
    }

    @Command(name = "rm", description = "Remove volumes and their data.")
    static final class VolumeRm extends Base {
        @Parameters(arity = "1..*", paramLabel = "NAME")
        List<String> names;

        @Override
        public Integer call() throws Exception {
            Containers containers = containers();
            for (String n : names) {
                List<String> users = containers.list(true).stream()
                        .filter(c -> c.mounts().stream().anyMatch(m -> m.startsWith("volume " + n + " ")))
                        .map(ContainerInfo::name).toList();
                containers.volumes().remove(n, users);
                out().println(n);
            }
            out().flush();
            return 0;
        }
    }

    static long parseSize(String text) {
        var m = java.util.regex.Pattern.compile("(\\d+)([bkmgBKMG]?)").matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("size '" + text + "' must be a number with an optional unit b, k, m or g (e.g. 256m)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }

    static NetworkMode parseNetwork(String text) {
        return switch (text) {
            case "bridge" -> NetworkMode.BRIDGE;
            case "host" -> NetworkMode.HOST;
            case "none" -> NetworkMode.NONE;
            default -> throw new IllegalArgumentException("--network '" + text + "' must be bridge, host or none");
        };
    }

    private static final Map<String, Integer> SIGNALS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9, "USR1", 10,
            "USR2", 12, "TERM", 15);

    static int signalNumber(String text) {
        String s = text.toUpperCase(Locale.ROOT).replaceFirst("^SIG", "");
        if (s.matches("\\d+")) {
            int n = Integer.parseInt(s);
            if (n >= 1 && n <= 64) {
                return n;
            }
        } else if (SIGNALS.containsKey(s)) {
            return SIGNALS.get(s);
        }
        throw new IllegalArgumentException("unknown signal '" + text + "' (use a number or one of " + String.join(", ", SIGNALS.keySet()) + ")");
    }

    static String json(Object o) {
        return Json.pretty(o);
    }
}
