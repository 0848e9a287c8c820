package io.modelgate.gateway.deploy;

import io.modelgate.gateway.ReplicaRuntimeFactory;
import io.modelgate.gateway.source.ImageSources;
import io.modelgate.gateway.source.ModelUpload;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.gpu.GpuConfig;
import io.modelgate.runtime.gpu.Gpus;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.nio.file.Path;
import java.time.Clock;

/** Wires the deployment store and the image store under the gateway's home (config modelgate.home). */
public class DeployBeans {
    @Produces
    @Singleton
    DeploymentStore deploymentStore(@ConfigProperty(name = "modelgate.home") Path home) {
        return DeploymentStore.open(home);
    }

    @Produces
    @Singleton
    ImageLookup imageLookup(@ConfigProperty(name = "modelgate.home") Path home) {
        return new ImageSources(home);
    }

    @Produces
    @Singleton
    ModelUpload modelUpload(@ConfigProperty(name = "modelgate.home") Path home,
                            @ConfigProperty(name = "modelgate.max-upload-bytes") long maxUploadBytes) {
        return new ModelUpload(home, maxUploadBytes);
    }

    @Produces
    @Singleton
    ReplicaRuntimeFactory replicaRuntimes(@ConfigProperty(name = "modelgate.home") Path home) {
        return () -> new NativeReplicaRuntime(Containers.open(home), home.resolve("replicas"));
    }

    @Produces
    @Singleton
    GpuCapacity gpuCapacity(@ConfigProperty(name = "modelgate.home") Path home) {
        // looked at once, on first use: GPUs do not come and go while the gateway runs
        int[] total = {-1};
        return () -> {
            synchronized (total) {
                if (total[0] < 0) {
                    total[0] = Gpus.detect(GpuConfig.host(home.resolve("gpus"))).gpus().size();
                }
                return total[0];
            }
        };
    }

    @Produces
    @Singleton
    Clock clock() {
        return Clock.systemUTC();
    }
}
