package io.modelgate.runtime.container;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.io.Trees;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.runtime.cgroup.CgroupException;
import io.modelgate.runtime.cgroup.Cgroups;
import io.modelgate.runtime.cgroup.DeviceRule;
import io.modelgate.runtime.cgroup.Limits;
import io.modelgate.runtime.gpu.DeviceNode;
import io.modelgate.runtime.gpu.GpuConfig;
import io.modelgate.runtime.gpu.GpuGrant;
import io.modelgate.runtime.gpu.GpuMount;
import io.modelgate.runtime.gpu.GpuRequest;
import io.modelgate.runtime.gpu.Gpus;
import io.modelgate.runtime.net.BridgeNetwork;
import io.modelgate.runtime.net.Endpoint;
import io.modelgate.runtime.process.BindMount;
import io.modelgate.runtime.process.ContainerException;
import io.modelgate.runtime.process.ContainerProcess;
import io.modelgate.runtime.process.ContainerSpec;
import io.modelgate.runtime.process.ExitStatus;
import io.modelgate.runtime.process.LogEntry;
import io.modelgate.runtime.process.NetworkMode;
import io.modelgate.runtime.process.PortProxy;
import io.modelgate.runtime.process.Prestart;
import io.modelgate.runtime.process.TmpfsMount;
import io.modelgate.runtime.snapshot.Snapshot;
import io.modelgate.runtime.snapshot.Snapshotter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The runtime's face: runs images from the store as containers — snapshots of the layers under an overlay root,
 * a cgroup with the limits, a network namespace on the bridge, published ports — and finds, stops and removes
 * them again, from this process or any later one. Every step of {@link #run} is undone if a later one fails.
 */
public final class Containers {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;

    private final Path home;
    private final Path dir;
    private final Path names;
    private final ImageStore store;
    private final Volumes volumes;
    private final Object lazyLock = new Object();
    private Snapshotter snapshotter;
    private Cgroups cgroups;
    private BridgeNetwork network;
    private Gpus gpus;
    private final Runtime runtime;

    /** Where the runtime's parts come from; tests give their own bridge and cgroup parent. */
    public record Runtime(String cgroupParent, String bridge, io.modelgate.runtime.net.Subnet subnet,
                          java.util.function.Function<Path, GpuConfig> gpuConfig) {
        /**
         * cgroup parent {@code modelgate}, bridge {@code modelgate0} on 10.89.0.0/16; the system properties
         * {@code modelgate.cgroupParent}, {@code modelgate.bridge} and {@code modelgate.subnet} change them (tests use
         * their own so they never touch an installation's containers).
         */
        public static Runtime defaults() {
            return new Runtime(System.getProperty("modelgate.cgroupParent", "modelgate"),
                    System.getProperty("modelgate.bridge", BridgeNetwork.DEFAULT_BRIDGE),
                    io.modelgate.runtime.net.Subnet.parse(System.getProperty("modelgate.subnet", BridgeNetwork.DEFAULT_SUBNET.toString())),
                    home -> GpuConfig.host(home.resolve("gpus")));
        }

        /** These defaults with the GPUs looked for as {@code config} says (tests use a fake device root). */
        public Runtime withGpuConfig(java.util.function.Function<Path, GpuConfig> config) {
            return new Runtime(cgroupParent, bridge, subnet, config);
        }
    }

    private Containers(Path home, Runtime runtime) {
        this.home = home.toAbsolutePath().normalize();
        this.dir = this.home.resolve("containers");
        this.names = dir.resolve("names");
        this.store = ImageStore.open(this.home);
        this.volumes = Volumes.open(this.home);
        this.runtime = runtime;
    }

    public static Containers open(Path home) {
        return new Containers(home, Runtime.defaults());
    }

    public static Containers open(Path home, Runtime runtime) {
        return new Containers(home, runtime);
    }

    public Volumes volumes() {
        return volumes;
    }

    public ImageStore store() {
        return store;
    }

    // ---------------------------------------------------------------- run

    /** Starts a container and returns once its program runs. */
    public ContainerInfo run(RunRequest request) throws IOException {
        StoredImage image = store.resolve(request.image());
        requireLinux(image);
        String id = newId();
        String name = request.name() != null ? request.name() : defaultName(id);
        Undo undo = new Undo();
        try {
            reserveName(name, id);
            undo.add(() -> Files.deleteIfExists(names.resolve(name)));
            Path containerDir = dir.resolve(id);
            Files.createDirectories(containerDir);
            undo.add(() -> Trees.delete(containerDir));

            ImageConfig.RuntimeConfig config = image.config().config();
            List<String> argv = argv(request, config);
            List<Path> lowers = new ArrayList<>(snapshotter().prepare(store, image));
            Collections.reverse(lowers); // the snapshotter lists the top layer first; a ContainerSpec wants the base first

            List<BindMount> mounts = new ArrayList<>();
            List<String> mountNotes = new ArrayList<>();
            for (VolumeMount v : request.volumes()) {
                Path source;
                if (v.isBind()) {
                    source = v.hostPath();
                    if (!Files.exists(source)) {
                        throw new IllegalArgumentException("mount source " + source + " does not exist (for -v " + v.source() + ":" + v.target() + ")");
                    }
                } else {
                    source = volumes.create(v.source());
                }
                mounts.add(new BindMount(source, v.target(), v.readOnly()));
                mountNotes.add((v.isBind() ? source.toString() : "volume " + v.source()) + " -> " + v.target() + (v.readOnly() ? " (ro)" : ""));
            }
            List<TmpfsMount> tmpfs = request.tmpfs().stream().map(TmpfsMount::at).toList();

            GpuGrant grant = GpuGrant.none(id);
            if (request.gpus() != null && !request.gpus().isBlank()) {
                grant = gpus().grant(id, GpuRequest.parse(request.gpus()));
                undo.add(() -> gpus().release(id));
                for (DeviceNode d : grant.devices()) {
                    Path host = d.hostPath().orElseThrow(() -> new IllegalStateException("GPU device " + d.path()
                            + " has no node on the host yet (load the driver's modules, e.g. nvidia-modprobe -u -c=0)"));
                    mounts.add(new BindMount(host, d.path(), false));
                }
                for (GpuMount m : grant.mounts()) {
                    mounts.add(new BindMount(m.source(), m.target(), m.readOnly()));
                }
                mountNotes.add("GPUs " + grant.gpus().stream().map(g -> String.valueOf(g.index())).toList());
            }

            Limits limits = limits(request).allowingDevices(grant.deviceCgroupRules().stream().map(DeviceRule::parse).toList());
            cgroups().create(id);
            undo.add(() -> removeCgroup(cgroups(), id));
            cgroups().apply(id, limits);

            ContainerSpec spec = ContainerSpec.of(id, lowers, containerDir.resolve("run"), argv)
                    .withHostname(id.substring(0, 12))
                    .withEnv(env(request, config, grant.env()))
                    .withWorkingDir(request.workingDir() != null ? request.workingDir()
                            : config.workingDir() != null && !config.workingDir().isEmpty() ? config.workingDir() : "/")
                    .withUser(request.user() != null ? request.user() : config.user() == null ? "" : config.user())
                    .withMounts(mounts)
                    .withTmpfs(tmpfs)
                    .withNetwork(request.network())
                    .withCgroupDirs(cgroups().directories(id));
            if (request.readOnly()) {
                spec = spec.withReadOnlyRoot();
            }
            Endpoint[] endpoint = new Endpoint[1];
            Prestart prestart = switch (request.network()) {
                case BRIDGE -> pid -> endpoint[0] = network().attach(id, pid);
                case NONE -> pid -> BridgeNetwork.loopbackUp(pid);
                case HOST -> Prestart.NONE;
            };
            undo.add(() -> {
                if (endpoint[0] != null) {
                    network().detach(id);
                }
            });
            ContainerProcess process = ContainerProcess.start(spec, prestart);
            undo.add(process::cleanup);

            List<Long> proxies = new ArrayList<>();
            undo.add(() -> proxies.forEach(PortProxy::stop));
            for (PortMapping p : request.ports()) {
                proxies.add(PortProxy.start(p.hostAddress(), p.hostPort(), endpoint[0].address(), p.containerPort(), process.pid()));
            }
            List<String> diffIds = image.config().diffIds().stream().map(Digest::toString).toList();
            ContainerRecord record = new ContainerRecord(id, name, request.image(), image.digest().toString(),
                    Instant.now().toString(), request, argv, endpoint[0] == null ? null : endpoint[0].address(), proxies,
                    grant.gpus().stream().map(g -> String.valueOf(g.index())).toList(), mountNotes, diffIds,
                    runtime.cgroupParent());
            writeRecord(record);
            undo.clear();
            return info(record);
        } catch (IOException | RuntimeException e) {
            undo.run(e);
            throw e;
        }
    }

    private static void requireLinux(StoredImage image) {
        String os = image.config().os();
        if (os != null && !os.equals("linux")) {
            throw new IllegalArgumentException("image " + image.ref() + " is for " + os + ", not linux");
        }
    }

    private static List<String> argv(RunRequest request, ImageConfig.RuntimeConfig config) {
        List<String> argv = new ArrayList<>();
        List<String> entrypoint = request.entrypoint() != null ? request.entrypoint() : config.entrypoint();
        if (entrypoint != null) {
            argv.addAll(entrypoint);
        }
        if (!request.command().isEmpty()) {
            argv.addAll(request.command());
        } else if (request.entrypoint() == null && config.cmd() != null) {
            argv.addAll(config.cmd());
        }
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("image " + request.image() + " has no Entrypoint or Cmd: say what to run after the image name");
        }
        return argv;
    }

    private static List<String> env(RunRequest request, ImageConfig.RuntimeConfig config, Map<String, String> gpuEnv) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String e : config.env()) {
            int eq = e.indexOf('=');
            if (eq > 0) {
                env.put(e.substring(0, eq), e.substring(eq + 1));
            }
        }
        env.putAll(gpuEnv);
        for (String e : request.env()) {
            int eq = e.indexOf('=');
            env.put(e.substring(0, eq), e.substring(eq + 1));
        }
        return env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    private static Limits limits(RunRequest request) {
        Limits limits = Limits.unlimited().withDevices(DeviceRule.CONTAINER_DEFAULTS);
        if (request.memoryBytes() > 0) {
            limits = limits.withMemoryBytes(request.memoryBytes());
        }
        if (request.cpus() > 0) {
            limits = limits.withCpus(request.cpus());
        }
        if (request.pidsLimit() > 0) {
            limits = limits.withPidsMax(request.pidsLimit());
        }
        return limits;
    }

    // ---------------------------------------------------------------- queries

    /** Running containers, or all of them. Newest first. */
    public List<ContainerInfo> list(boolean all) throws IOException {
        List<ContainerInfo> out = new ArrayList<>();
        for (ContainerRecord r : records()) {
            ContainerInfo info;
            try {
                info = info(r);
            } catch (IOException e) {
                if (Files.exists(dir.resolve(r.id()))) {
                    throw e;
                }
                continue; // removed while it was read: no longer a container to list
            }
            if (all || info.running()) {
                out.add(info);
            }
        }
        out.sort((a, b) -> b.created().compareTo(a.created()));
        return out;
    }

    public ContainerInfo inspect(String nameOrId) throws IOException {
        return info(find(nameOrId));
    }

    /** Waits for the container to end; empty when the timeout passes first. */
    public Optional<ExitStatus> waitFor(String nameOrId, Duration timeout) throws IOException, InterruptedException {
        return attached(find(nameOrId)).waitFor(timeout);
    }

    public List<LogEntry> logs(String nameOrId) throws IOException {
        return attached(find(nameOrId)).logs();
    }

    /** Changes whenever the container's log does: poll it to read {@link #logs} only when there is something new. */
    public String logStamp(String nameOrId) throws IOException {
        return attached(find(nameOrId)).logStamp();
    }

    /** Runs a program in the running container's namespaces, as {@code docker exec}. */
    public Process exec(String nameOrId, List<String> argv) throws IOException {
        ContainerRecord r = find(nameOrId);
        ContainerProcess p = process(r);
        if (p == null || !p.isRunning()) {
            throw new IllegalStateException("container " + r.name() + " is not running");
        }
        return p.exec(argv);
    }

    // ---------------------------------------------------------------- stop, kill, remove

    /** SIGTERM, up to {@code grace} to exit, then every process of its cgroup is killed. */
    public ContainerInfo stop(String nameOrId, Duration grace) throws IOException, InterruptedException {
        ContainerRecord r = find(nameOrId);
        ContainerProcess p = process(r);
        if (p != null && p.isRunning()) {
            try {
                p.signal(SIGTERM);
            } catch (ContainerException e) {
                // it ended meanwhile
            }
            if (p.waitFor(grace).isEmpty()) {
                cgroups(r).killAll(r.id(), Duration.ofSeconds(10));
                p.waitFor(Duration.ofSeconds(10));
            }
        }
        return info(r);
    }

    public void kill(String nameOrId, int signal) throws IOException {
        ContainerRecord r = find(nameOrId);
        ContainerProcess p = process(r);
        if (p == null || !p.isRunning()) {
            throw new IllegalStateException("container " + r.name() + " is not running");
        }
        if (signal == SIGKILL) {
            cgroups(r).killAll(r.id(), Duration.ofSeconds(10));
        } else {
            p.signal(signal);
        }
    }

    /** Removes a container and everything it held: processes, mounts, writable layer, cgroup, veth, address, name. */
    public void remove(String nameOrId, boolean force) throws IOException, InterruptedException {
        ContainerRecord r = find(nameOrId);
        ContainerProcess p = process(r);
        if (p != null && p.isRunning()) {
            if (!force) {
                throw new IllegalStateException("container " + r.name() + " is running: stop it first, or remove it with -f");
            }
            cgroups(r).killAll(r.id(), Duration.ofSeconds(10));
        }
        destroy(r, p);
    }

    private void destroy(ContainerRecord r, ContainerProcess p) throws IOException, InterruptedException {
        r.proxyPids().forEach(PortProxy::stop);
        if (p != null) {
            p.cleanup();
        }
        if (r.request().network() == NetworkMode.BRIDGE) {
            network().detach(r.id());
        }
        removeCgroup(cgroups(r), r.id());
        if (!r.gpus().isEmpty()) {
            gpus().release(r.id());
        }
        Files.deleteIfExists(names.resolve(r.name()));
        Trees.delete(dir.resolve(r.id()));
    }

    /** Removes every stopped container, then snapshots no container or image uses. */
    public PruneResult prune() throws IOException, InterruptedException {
        List<String> removed = new ArrayList<>();
        Set<Digest> inUse = new HashSet<>();
        for (ContainerRecord r : records()) {
            ContainerProcess p = process(r);
            if (p != null && p.isRunning()) {
                r.lowerDiffIds().forEach(d -> inUse.add(Digest.parse(d)));
            } else {
                destroy(r, p);
                removed.add(r.name());
            }
        }
        List<Snapshot> snapshots = snapshotter().prune(inUse);
        return new PruneResult(removed, snapshots.size(), snapshots.stream().mapToLong(Snapshot::size).sum());
    }

    public record PruneResult(List<String> containers, int snapshots, long snapshotBytes) {
    }

    // ---------------------------------------------------------------- helpers

    private ContainerInfo info(ContainerRecord r) throws IOException {
        ContainerProcess p = process(r);
        String state;
        Integer exitCode = null;
        Long pid = null;
        Optional<ExitStatus> exit = p == null ? Optional.empty() : p.exitStatus();
        if (exit.isEmpty() && p != null && !p.isRunning()) {
            exit = justEnded(p);
        }
        if (exit.isPresent()) {
            state = "exited";
            exitCode = exit.get().code();
        } else if (p != null && p.isRunning()) {
            state = "running";
            pid = p.pid();
        } else {
            state = "dead";
        }
        boolean oom = false;
        try {
            oom = cgroups(r).oomKills(r.id()) > 0;
        } catch (CgroupException | UncheckedIOException e) {
            // the cgroup is gone (removed after a crash): no record of OOM kills
        }
        Map<String, Object> limits = new LinkedHashMap<>();
        RunRequest q = r.request();
        if (q.memoryBytes() > 0) {
            limits.put("memoryBytes", q.memoryBytes());
        }
        if (q.cpus() > 0) {
            limits.put("cpus", q.cpus());
        }
        if (q.pidsLimit() > 0) {
            limits.put("pids", q.pidsLimit());
        }
        return new ContainerInfo(r.id(), r.name(), r.image(), r.imageDigest(), r.created(), state, pid, exitCode, oom,
                r.address(), r.argv(), q.ports(), r.mounts(), limits, r.gpus(), dir.resolve(r.id()).toString());
    }

    /**
     * The exit status of a container whose process has just ended: its monitor records it a moment after the
     * process is gone, and a container read in between must not look dead. Empty when none comes (the monitor is
     * gone too: the container is dead).
     */
    private static Optional<ExitStatus> justEnded(ContainerProcess p) throws IOException {
        try {
            return p.waitFor(Duration.ofSeconds(2));
        } catch (ContainerException noMonitor) {
            return Optional.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    private ContainerProcess process(ContainerRecord r) throws IOException {
        Path run = dir.resolve(r.id()).resolve("run");
        try {
            return ContainerProcess.attach(run);
        } catch (NoSuchFileException e) {
            return null;
        } catch (ContainerException e) {
            if (e.getCause() instanceof NoSuchFileException && !Files.exists(run.resolve("spec"))) {
                return null; // a removal cut short (the process was killed) left the record without its state
            }
            throw e;
        }
    }

    /** The container's process state, or a clear error for a container whose removal was cut short. */
    private ContainerProcess attached(ContainerRecord r) throws IOException {
        ContainerProcess p = process(r);
        if (p == null) {
            throw new ContainerException("container " + r.name() + " has no process state left (its removal was cut "
                    + "short); remove it with 'modelgate rm " + r.name() + "'");
        }
        return p;
    }

    private ContainerRecord find(String nameOrId) throws IOException {
        Path byName = names.resolve(nameOrId);
        if (Volumes.NAME.matcher(nameOrId).matches() && Files.isRegularFile(byName)) {
            return readRecord(Files.readString(byName, StandardCharsets.UTF_8).trim());
        }
        if (nameOrId.matches("[a-f0-9]{1,64}")) {
            List<ContainerRecord> matches = records().stream().filter(r -> r.id().startsWith(nameOrId)).toList();
            if (matches.size() == 1) {
                return matches.get(0);
            }
            if (matches.size() > 1) {
                throw new IllegalArgumentException("'" + nameOrId + "' matches " + matches.size() + " containers; give more of the id");
            }
        }
        throw new ContainerNotFoundException(nameOrId);
    }

    private List<ContainerRecord> records() throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<ContainerRecord> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("[a-f0-9]{64}")).toList()) {
                if (Files.isRegularFile(p.resolve("container.json"))) {
                    try {
                        out.add(readRecord(p.getFileName().toString()));
                    } catch (IOException e) {
                        if (Files.exists(p)) {
                            throw e;
                        }
                        // removed between listing and reading
                    }
                }
            }
        }
        return out;
    }

    private ContainerRecord readRecord(String id) throws IOException {
        return Json.mapper().readValue(dir.resolve(id).resolve("container.json").toFile(), ContainerRecord.class);
    }

    private void writeRecord(ContainerRecord r) throws IOException {
        Path target = dir.resolve(r.id()).resolve("container.json");
        Path temp = target.resolveSibling("container.json.tmp");
        Files.write(temp, Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(r));
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void reserveName(String name, String id) throws IOException {
        if (!Volumes.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("container name '" + name + "' must be 1-128 letters, digits, '_', '.' or '-'");
        }
        Files.createDirectories(names);
        try {
            Files.writeString(names.resolve(name), id, StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE_NEW,
                    java.nio.file.StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new IllegalStateException("the name '" + name + "' is in use by another container (remove it first: 'modelgate rm "
                    + name + "')");
        }
    }

    private static void removeCgroup(Cgroups cgroups, String id) {
        try {
            cgroups.killAll(id, Duration.ofSeconds(10));
            cgroups.remove(id, Duration.ofSeconds(10));
        } catch (CgroupException e) {
            if (!String.valueOf(e.getMessage()).contains("does not exist") && cgroups.list().contains(id)) {
                throw e;
            }
        }
    }

    private static String newId() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    private static String defaultName(String id) {
        return "mg-" + id.substring(0, 12);
    }

    private Snapshotter snapshotter() throws IOException {
        synchronized (lazyLock) {
            if (snapshotter == null) {
                snapshotter = Snapshotter.open(home);
            }
            return snapshotter;
        }
    }

    private Cgroups cgroups() {
        synchronized (lazyLock) {
            if (cgroups == null) {
                cgroups = Cgroups.detect(runtime.cgroupParent());
            }
            return cgroups;
        }
    }

    /** The cgroups of the parent {@code r}'s container was created under, which may not be this runtime's. */
    private Cgroups cgroups(ContainerRecord r) {
        String parent = r.cgroupParent();
        return parent == null || parent.equals(runtime.cgroupParent()) ? cgroups() : Cgroups.detect(parent);
    }

    private Gpus gpus() {
        synchronized (lazyLock) {
            if (gpus == null) {
                gpus = Gpus.detect(runtime.gpuConfig().apply(home));
            }
            return gpus;
        }
    }

    private BridgeNetwork network() {
        synchronized (lazyLock) {
            if (network == null) {
                network = BridgeNetwork.open(home.resolve("network"), runtime.bridge(), runtime.subnet());
            }
            return network;
        }
    }

    /** Steps to take back, last first, when a later step of a run fails. */
    private static final class Undo {
        interface Step {
            void run() throws Exception;
        }

        private final List<Step> steps = new ArrayList<>();

        void add(Step step) {
            steps.add(step);
        }

        void clear() {
            steps.clear();
        }

        void run(Throwable failure) {
            for (int i = steps.size() - 1; i >= 0; i--) {
                try {
                    steps.get(i).run();
                } catch (Exception e) {
                    failure.addSuppressed(e);
                }
            }
        }
    }
}
