package io.modelgate.gateway.deploy;

import io.modelgate.packager.store.StoredImage;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.container.RunRequest;
import io.modelgate.runtime.process.NetworkMode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Replicas as native containers on the bridge network, reached at the container's own address on the port its image
 * declares (label io.modelgate.server.port), ready when its health path (io.modelgate.server.health) answers 200.
 */
final class NativeReplicaRuntime implements ReplicaRuntime {
    static final String PORT_LABEL = "io.modelgate.server.port";
    static final String HEALTH_LABEL = "io.modelgate.server.health";
    static final String TITLE_LABEL = "org.opencontainers.image.title";

    private final Containers containers;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    NativeReplicaRuntime(Containers containers) {
        this.containers = containers;
    }

    @Override
    public Replica start(DeploymentSpec spec, String replicaName) throws IOException {
        StoredImage image = containers.store().resolve(spec.image());
        Map<String, String> labels = image.config().config().labels();
        String port = labels == null ? null : labels.get(PORT_LABEL);
        if (port == null) {
            throw new IOException("image '" + spec.image() + "' has no " + PORT_LABEL + " label, so the gateway "
                    + "cannot tell where its server listens; pack it with 'modelgate pack' (server.port in model.yaml)");
        }
        String health = labels.getOrDefault(HEALTH_LABEL, "/v2/health/ready");
        String modelName = labels.getOrDefault(TITLE_LABEL, spec.name());
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
        ContainerInfo info = containers.run(request);
        if (info.address() == null) {
            try {
                containers.remove(info.id(), true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IOException("replica " + replicaName + " has no address on the bridge network");
        }
        URI base = URI.create("http://" + info.address() + ":" + port + "/v2/models/" + modelName + "/");
        return new Replica(info.id(), replicaName, base, health, modelName);
    }

    @Override
    public void stop(Replica replica) throws IOException, InterruptedException {
        try {
            containers.remove(replica.id(), true);
        } catch (io.modelgate.runtime.container.ContainerNotFoundException gone) {
            // already removed
        }
    }

    @Override
    public Optional<String> exited(Replica replica) {
        try {
            ContainerInfo info = containers.inspect(replica.id());
            if (info.running()) {
                return Optional.empty();
            }
            return Optional.of(info.state() + (info.exitCode() == null ? "" : " with exit code " + info.exitCode())
                    + (info.oomKilled() ? ", killed for going over its memory limit (raise resources.memory)" : ""));
        } catch (io.modelgate.runtime.container.ContainerNotFoundException gone) {
            return Optional.of("removed outside the gateway");
        } catch (IOException unknown) {
            return Optional.empty();
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
