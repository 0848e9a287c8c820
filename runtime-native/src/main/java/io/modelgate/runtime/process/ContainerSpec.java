package io.modelgate.runtime.process;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What to run and how to isolate it. Start from {@link #of} and refine with the {@code with…} methods.
 *
 * @param id             names the container in messages; letters, digits, {@code _ . -}
 * @param hostname       the container's hostname (the id by default)
 * @param lowerDirs      the image's unpacked layers in image order, the base layer first; they are never written
 * @param stateDir       where this container's writable layer, logs, pid and exit files live; created by start
 * @param argv           Entrypoint + Cmd; argv[0] is looked up in the PATH of {@code env}
 * @param env            {@code KEY=VALUE}; PATH, HOSTNAME and HOME are added when missing, as Docker does
 * @param workingDir     created when missing
 * @param user           {@code user[:group]}, by number or by name in the image's /etc/passwd; empty for root
 * @param cgroupDirs     cgroup directories (one per v1 hierarchy, or the v2 one) the container is in from its first
 *                       instruction on
 * @param logLimitBytes  the size at which the log rotates; output takes at most twice this
 */
public record ContainerSpec(
        String id,
        String hostname,
        List<Path> lowerDirs,
        Path stateDir,
        List<String> argv,
        List<String> env,
        String workingDir,
        String user,
        List<BindMount> mounts,
        List<TmpfsMount> tmpfs,
        boolean readOnlyRoot,
        NetworkMode network,
        List<Path> cgroupDirs,
        long logLimitBytes) {

    public static final long DEFAULT_LOG_LIMIT = 10L << 20;
    public static final long MIN_LOG_LIMIT = 4096;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Pattern USER = Pattern.compile("([A-Za-z0-9_.][A-Za-z0-9_.-]*(:[A-Za-z0-9_.][A-Za-z0-9_.-]*)?)?");

    public ContainerSpec {
        Objects.requireNonNull(id, "id");
        if (!ID.matcher(id).matches()) {
            throw new IllegalArgumentException("container id '" + id + "' must be 1-128 letters, digits, '_', '.' or '-'");
        }
        Objects.requireNonNull(hostname, "hostname");
        if (!HOSTNAME.matcher(hostname).matches()) {
            throw new IllegalArgumentException("hostname '" + hostname + "' must be 1-64 letters, digits, '_', '.' or '-'");
        }
        lowerDirs = List.copyOf(lowerDirs);
        if (lowerDirs.isEmpty()) {
            throw new IllegalArgumentException("container " + id + " needs at least one lower dir (the image's layers)");
        }
        lowerDirs.forEach(dir -> Specs.requireOverlayPath(dir, "lower dir"));
        Objects.requireNonNull(stateDir, "stateDir");
        Specs.requireOverlayPath(stateDir, "state dir");
        argv = List.copyOf(argv);
        if (argv.isEmpty() || argv.get(0).isEmpty()) {
            throw new IllegalArgumentException("container " + id + " has nothing to run: argv is empty");
        }
        argv.forEach(arg -> Specs.requireNoNul(arg, "argument"));
        env = List.copyOf(env);
        for (String entry : env) {
            Specs.requireNoNul(entry, "environment entry");
            if (entry.indexOf('=') < 1) {
                throw new IllegalArgumentException("environment entry '" + entry + "' must be KEY=VALUE");
            }
        }
        Specs.requireContainerPath(workingDir, "working dir");
        Objects.requireNonNull(user, "user");
        if (!USER.matcher(user).matches()) {
            throw new IllegalArgumentException("user '" + user + "' must be user[:group], by name or number");
        }
        mounts = List.copyOf(mounts);
        tmpfs = List.copyOf(tmpfs);
        Objects.requireNonNull(network, "network");
        cgroupDirs = List.copyOf(cgroupDirs);
        for (Path dir : cgroupDirs) {
            if (!dir.isAbsolute()) {
                throw new IllegalArgumentException("cgroup dir " + dir + " must be an absolute path");
            }
            Specs.requireNoNul(dir.toString(), "cgroup dir");
        }
        if (logLimitBytes < MIN_LOG_LIMIT) {
            throw new IllegalArgumentException("log limit " + logLimitBytes + " bytes is below the minimum of " + MIN_LOG_LIMIT);
        }
    }

    /**
     * A container running {@code argv} as root in {@code /} on the given layers, with its own network namespace
     * ({@link NetworkMode#NONE}), no mounts beyond the system ones, no cgroups and a 10 MiB log.
     */
    public static ContainerSpec of(String id, List<Path> lowerDirs, Path stateDir, List<String> argv) {
        String hostname = id == null || id.length() <= 64 ? id : id.substring(0, 64);
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, List.of(), "/", "", List.of(), List.of(),
                false, NetworkMode.NONE, List.of(), DEFAULT_LOG_LIMIT);
    }

    public ContainerSpec withHostname(String hostname) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, logLimitBytes);
    }

    public ContainerSpec withEnv(List<String> env) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, logLimitBytes);
    }

    public ContainerSpec withWorkingDir(String workingDir) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, logLimitBytes);
    }

    public ContainerSpec withUser(String user) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, logLimitBytes);
    }

    public ContainerSpec withMounts(List<BindMount> mounts) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, logLimitBytes);
    }

    public ContainerSpec withTmpfs(List<TmpfsMount> tmpfs) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, logLimitBytes);
    }

    /** The root filesystem read-only (mounts and tmpfs stay as they are). */
    public ContainerSpec withReadOnlyRoot() {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                true, network, cgroupDirs, logLimitBytes);
    }

    public ContainerSpec withNetwork(NetworkMode network) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, logLimitBytes);
    }

    public ContainerSpec withCgroupDirs(List<Path> cgroupDirs) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, logLimitBytes);
    }

    public ContainerSpec withLogLimit(long bytes) {
        return new ContainerSpec(id, hostname, lowerDirs, stateDir, argv, env, workingDir, user, mounts, tmpfs,
                readOnlyRoot, network, cgroupDirs, bytes);
    }
}
