package io.modelgate.gateway.deploy;

import io.modelgate.packager.store.StoredImage;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.container.RunRequest;
import io.modelgate.runtime.process.NetworkMode;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Replicas as native containers on the bridge network, reached at the container's own address on the port its image
 * declares (label io.modelgate.server.port), ready when its health path (io.modelgate.server.health) answers 200.
 *
 * <p>Each replica's container is named {@code <deployment>-<6 hex digits>} and has a record
 * {@code <home>/replicas/<container name>.properties} (deployment, image digest, port, health path, model name),
 * written durably before the container is created and removed after it is: the record is what marks a container as
 * the gateway's, so that a later gateway process finds it ({@link #leftOver}) and never touches a container someone
 * started with {@code modelgate run} in the same home.
 */
final class NativeReplicaRuntime implements ReplicaRuntime {
    static final String PORT_LABEL = "io.modelgate.server.port";
    static final String HEALTH_LABEL = "io.modelgate.server.health";
    static final String TITLE_LABEL = "org.opencontainers.image.title";

    private static final String SUFFIX = ".properties";
    private static final String TEMP_PREFIX = ".tmp-";

    private final Containers containers;
    private final Path records;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    NativeReplicaRuntime(Containers containers, Path records) {
        this.containers = containers;
        this.records = records;
        try {
            Files.createDirectories(records);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the replica records at " + records + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Replica start(DeploymentSpec spec, int revision, String replicaName) throws IOException {
        StoredImage image = containers.store().resolve(spec.image());
        Map<String, String> labels = image.config().config().labels();
        String port = labels == null ? null : labels.get(PORT_LABEL);
        if (port == null) {
            throw new IOException("image '" + spec.image() + "' has no " + PORT_LABEL + " label, so the gateway "
                    + "cannot tell where its server listens; pack it with 'modelgate pack' (server.port in model.yaml)");
        }
        String health = labels.getOrDefault(HEALTH_LABEL, "/v2/health/ready");
        String modelName = labels.getOrDefault(TITLE_LABEL, spec.name());
        Properties record = new Properties();
        record.setProperty("deployment", spec.name());
        record.setProperty("imageDigest", image.digest().toString());
        record.setProperty("revision", String.valueOf(revision));
        record.setProperty("port", port);
        record.setProperty("health", health);
        record.setProperty("modelName", modelName);
        writeRecord(replicaName, record);
        List<String> env = new ArrayList<>();
        spec.env().forEach((k, v) -> env.add(k + "=" + v));
        RunRequest request = RunRequest.of(spec.image()).withName(replicaName).withNetwork(NetworkMode.BRIDGE)
                .withEnv(env);
        if (spec.resources().cpus().isPresent()) {
            request = request.withCpus(spec.resources().cpus().getAsDouble());
        }
        if (spec.resources().memoryBytes().isPresent()) {
            request = request.withMemoryBytes(spec.resources().memoryBytes().getAsLong());
        }
        if (spec.resources().gpus() > 0) {
            request = request.withGpus(String.valueOf(spec.resources().gpus()));
        }
        ContainerInfo info;
        try {
            info = containers.run(request);
        } catch (io.modelgate.runtime.gpu.GpuUnavailableException e) {
            Files.deleteIfExists(recordFile(replicaName));
            throw new PendingException("waiting for " + spec.resources().gpus() + " GPU(s): " + e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(recordFile(replicaName));
            throw e;
        }
        if (info.address() == null) {
            try {
                containers.remove(info.id(), true);
                Files.deleteIfExists(recordFile(replicaName));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("replica " + replicaName + " has no address on the bridge network");
        }
        return replica(info, record);
    }

    @Override
    public void stop(Replica replica) throws IOException, InterruptedException {
        try {
            containers.remove(replica.id(), true);
        } catch (io.modelgate.runtime.container.ContainerNotFoundException gone) {
            // already removed
        }
        Files.deleteIfExists(recordFile(replica.name()));
    }

    @Override
    public List<LeftOver> leftOver() throws IOException {
        Map<String, ContainerInfo> byName = new HashMap<>();
        for (ContainerInfo c : containers.list(true)) {
            byName.put(c.name(), c);
        }
        List<LeftOver> found = new ArrayList<>();
        // names first, then act: the loop deletes stale records, and each name is looked at once
        SortedSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(records)) {
            files.forEach(f -> names.add(f.getFileName().toString()));
        }
        for (String file : names) {
            Path f = records.resolve(file);
            if (file.startsWith(TEMP_PREFIX) || !file.endsWith(SUFFIX)) {
                Files.deleteIfExists(f); // a crash while writing a record
                continue;
            }
            String name = file.substring(0, file.length() - SUFFIX.length());
            ContainerInfo info = byName.get(name);
            if (info == null) {
                Files.deleteIfExists(f); // a crash between writing the record and creating the container
                continue;
            }
            Properties record = new Properties();
            record.load(new StringReader(Files.readString(f)));
            int revision;
            try {
                revision = Integer.parseInt(record.getProperty("revision", "0"));
            } catch (NumberFormatException damaged) {
                revision = -1; // matches no revision, so the replica is removed
            }
            found.add(new LeftOver(replica(info, record), record.getProperty("deployment"), info.imageDigest(),
                    revision, info.running() && info.address() != null));
        }
        return found;
    }

    @Override
    public Optional<String> imageDigest(DeploymentSpec spec) {
        try {
            return Optional.of(containers.store().resolve(spec.image()).digest().toString());
        } catch (IOException | RuntimeException notThere) {
            return Optional.empty();
        }
    }

    private static Replica replica(ContainerInfo info, Properties record) {
        String modelName = record.getProperty("modelName");
        String health = record.getProperty("health");
        URI base = URI.create("http://" + (info.address() == null ? "0.0.0.0" : info.address()) + ":"
                + record.getProperty("port") + "/v2/models/" + modelName + "/");
        return new Replica(info.id(), info.name(), base, health, modelName);
    }

    private Path recordFile(String replicaName) {
        return records.resolve(replicaName + SUFFIX);
    }

    /** Temp file, fsync, rename, fsync of the directory: the record is on disk before the container exists. */
    private void writeRecord(String replicaName, Properties record) throws IOException {
        StringWriter text = new StringWriter();
        record.store(text, null);
        Path temp = records.resolve(TEMP_PREFIX + replicaName + SUFFIX);
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                ByteBuffer buf = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.ISO_8859_1));
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(temp, recordFile(replicaName), StandardCopyOption.ATOMIC_MOVE);
            try (FileChannel dir = FileChannel.open(records, StandardOpenOption.READ)) {
                dir.force(true);
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public Optional<String> exited(Replica replica) {
        try {
            ContainerInfo info = containers.inspect(replica.id());
            if (info.running()) {
                return Optional.empty();
            }
            String how = info.state() + (info.exitCode() == null ? "" : " with exit code " + info.exitCode());
            return Optional.of(info.oomKilled()
                    ? "was OOM-killed (" + how + "): it went over its memory limit; raise resources.memory" : how);
        } catch (io.modelgate.runtime.container.ContainerNotFoundException gone) {
            return Optional.of("removed outside the gateway");
        } catch (IOException unknown) {
            return Optional.empty();
        }
    }

    @Override
    public List<String> lastOutput(Replica replica, int lines) {
        try {
            List<io.modelgate.runtime.process.LogEntry> log = containers.logs(replica.id());
            return log.subList(Math.max(0, log.size() - lines), log.size()).stream()
                    .map(io.modelgate.runtime.process.LogEntry::text).toList();
        } catch (IOException | RuntimeException unreadable) {
            return List.of();
        }
    }

    @Override
    public boolean ready(Replica replica) {
        try {
            HttpRequest probe = HttpRequest.newBuilder(replica.base().resolve(replica.healthPath()))
                    .timeout(Duration.ofSeconds(1)).GET().build();
            return http.send(probe, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
