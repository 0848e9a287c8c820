package io.modelgate.runtime.container;

import io.modelgate.runtime.process.NetworkMode;

import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.OptionalLong;

/**
 * What {@code modelgate run} is asked for. Start from {@link #of(String)} and refine with the {@code with…}
 * methods; what is left unset comes from the image (Entrypoint, Cmd, Env, WorkingDir, User).
 *
 * @param name      unique; generated when null
 * @param command   replaces the image's Cmd when not empty
 * @param entrypoint replaces the image's Entrypoint when not null
 * @param env       {@code KEY=VALUE}, added to (and overriding) the image's
 * @param memoryBytes memory limit, or 0 for none
 * @param cpus      CPU limit (0.5 = half a core), or 0 for none
 * @param pidsLimit process limit, or 0 for none
 * @param gpus      {@code all}, a count, or a list of devices; null for none
 */
public record RunRequest(String image, String name, List<String> command, List<String> entrypoint, List<String> env,
                         String workingDir, String user, long memoryBytes, double cpus, long pidsLimit,
                         List<VolumeMount> volumes, List<String> tmpfs, NetworkMode network, List<PortMapping> ports,
                         String gpus, boolean readOnly) {

    public RunRequest {
        Objects.requireNonNull(image, "image");
        command = command == null ? List.of() : List.copyOf(command);
        entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
        env = env == null ? List.of() : List.copyOf(env);
        for (String e : env) {
            if (e.indexOf('=') < 1) {
                throw new IllegalArgumentException("environment entry '" + e + "' must be KEY=VALUE");
            }
        }
        if (memoryBytes < 0 || cpus < 0 || pidsLimit < 0) {
            throw new IllegalArgumentException("limits must not be negative");
        }
        volumes = volumes == null ? List.of() : List.copyOf(volumes);
        tmpfs = tmpfs == null ? List.of() : List.copyOf(tmpfs);
        network = network == null ? NetworkMode.BRIDGE : network;
        ports = ports == null ? List.of() : List.copyOf(ports);
        if (!ports.isEmpty() && network != NetworkMode.BRIDGE) {
            throw new IllegalArgumentException("publishing ports (-p) needs the bridge network; with --network "
                    + network.name().toLowerCase() + " the container " + (network == NetworkMode.HOST ? "already uses the host's ports" : "has no network"));
        }
    }

    public static RunRequest of(String image) {
        return new RunRequest(image, null, null, null, null, null, null, 0, 0, 0, null, null, null, null, null, false);
    }

    public RunRequest withName(String v) {
        return new RunRequest(image, v, command, entrypoint, env, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withCommand(List<String> v) {
        return new RunRequest(image, name, v, entrypoint, env, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withEntrypoint(List<String> v) {
        return new RunRequest(image, name, command, v, env, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withEnv(List<String> v) {
        return new RunRequest(image, name, command, entrypoint, v, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withWorkingDir(String v) {
        return new RunRequest(image, name, command, entrypoint, env, v, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withUser(String v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, v, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withMemoryBytes(long v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, v, cpus, pidsLimit, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withCpus(double v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, memoryBytes, v, pidsLimit, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withPidsLimit(long v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, memoryBytes, cpus, v, volumes, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withVolumes(List<VolumeMount> v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, memoryBytes, cpus, pidsLimit, v, tmpfs, network, ports, gpus, readOnly);
    }

    public RunRequest withTmpfs(List<String> v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, v, network, ports, gpus, readOnly);
    }

    public RunRequest withNetwork(NetworkMode v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, v, ports, gpus, readOnly);
    }

    public RunRequest withPorts(List<PortMapping> v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, v, gpus, readOnly);
    }

    public RunRequest withGpus(String v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, ports, v, readOnly);
    }

    public RunRequest withReadOnly(boolean v) {
        return new RunRequest(image, name, command, entrypoint, env, workingDir, user, memoryBytes, cpus, pidsLimit, volumes, tmpfs, network, ports, gpus, v);
    }

    public OptionalLong memory() {
        return memoryBytes > 0 ? OptionalLong.of(memoryBytes) : OptionalLong.empty();
    }

    public OptionalDouble cpuLimit() {
        return cpus > 0 ? OptionalDouble.of(cpus) : OptionalDouble.empty();
    }
}
