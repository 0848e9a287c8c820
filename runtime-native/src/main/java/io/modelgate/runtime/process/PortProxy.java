package io.modelgate.runtime.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Publishes a container's port on the host with mg-proxy, a small detached relay (as docker-proxy is). The relay
 * exits by itself when the container's init exits, so nothing outlives the container even after a crash.
 */
public final class PortProxy {
    private PortProxy() {
    }

    /**
     * Starts relaying {@code listenAddress:hostPort} to {@code targetAddress:containerPort}; returns the relay's pid.
     *
     * @throws ContainerException when the port cannot be published (in use, not permitted), naming it
     */
    public static long start(String listenAddress, int hostPort, String targetAddress, int containerPort, long containerPid)
            throws IOException {
        List<String> command = List.of(NativeBinaries.path(NativeBinaries.PROXY).toString(), listenAddress,
                String.valueOf(hostPort), targetAddress, String.valueOf(containerPort), String.valueOf(containerPid));
        Process p = new ProcessBuilder(command).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0 || !out.startsWith("ok ")) {
                throw new ContainerException(err.isEmpty() ? "publish " + listenAddress + ":" + hostPort + ": mg-proxy failed" : err);
            }
            return Long.parseLong(out.substring(3).trim());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ContainerException("publish " + listenAddress + ":" + hostPort + ": interrupted");
        }
    }

    /** Stops a relay started by {@link #start}; a pid that is no longer an mg-proxy is left alone. */
    public static void stop(long pid) {
        try {
            String cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline"), StandardCharsets.UTF_8);
            if (cmdline.contains(NativeBinaries.PROXY)) {
                ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy);
            }
        } catch (IOException e) {
            // gone already
        }
    }
}
