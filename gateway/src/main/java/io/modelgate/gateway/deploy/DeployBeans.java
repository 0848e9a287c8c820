package io.modelgate.gateway.deploy;

import io.modelgate.gateway.ReplicaRuntimeFactory;
import io.modelgate.gateway.source.ImageSources;
import io.modelgate.gateway.source.ModelUpload;
import io.modelgate.runtime.container.Containers;
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
    Clock clock() {
        return Clock.systemUTC();
    }
}
