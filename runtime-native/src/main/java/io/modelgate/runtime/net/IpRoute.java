package io.modelgate.runtime.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs iproute2's {@code ip}, in the host's network namespace or (through nsenter) in a container's. Each call
 * is a batch, so configuring a container costs one process, not one per step.
 */
final class IpRoute {
    private final String ip;
    private final String nsenter;

    IpRoute(String ip, String nsenter) {
        this.ip = ip;
        this.nsenter = nsenter;
    }

    static IpRoute system() {
        return new IpRoute(find("ip", "iproute2"), find("nsenter", "util-linux"));
    }

    /** Runs {@code ip -batch -} on the host; {@code what} names the operation in errors. */
    String host(String what, List<String> commands) {
        return run(what, List.of(ip, "-batch", "-"), commands);
    }

    /** Runs {@code ip -batch -} inside the network namespace of {@code pid}. */
    String inNamespaceOf(long pid, String what, List<String> commands) {
        return run(what, List.of(nsenter, "--net=/proc/" + pid + "/ns/net", "--", ip, "-batch", "-"), commands);
    }

    /** Runs one ip command on the host, returning false (and no exception) when it fails. */
    boolean tryHost(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ip);
        cmd.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    String output(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ip);
        cmd.addAll(List.of(args));
        return run(String.join(" ", args), cmd, List.of());
    }

    private static String run(String what, List<String> command, List<String> stdin) {
        try {
            Process p = new ProcessBuilder(command).start();
            try (var in = p.getOutputStream()) {
                in.write(String.join("\n", stdin).concat(stdin.isEmpty() ? "" : "\n").getBytes(StandardCharsets.UTF_8));
            }
            var err = new java.util.concurrent.CompletableFuture<String>();
            Thread t = new Thread(() -> {
                try {
                    err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    err.complete("");
                }
            });
            t.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new NetworkException(what + ": ip did not answer in 30 s");
            }
            t.join();
            if (p.exitValue() != 0) {
                throw new NetworkException(what + ": " + err.join().strip().replace("\n", "; "));
            }
            return out;
        } catch (IOException e) {
            throw new NetworkException(what + ": cannot run " + command.get(0) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NetworkException(what + ": interrupted");
        }
    }

    private static String find(String command, String debianPackage) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            Path p = Path.of(dir, command);
            if (p.toFile().canExecute()) {
                return p.toString();
            }
        }
        throw new NetworkException("bridge networking needs '" + command + "' (apt-get install " + debianPackage + ")");
    }
}
