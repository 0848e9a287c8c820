package io.modelgate.gateway.deploy;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Optional;

/** Starts and stops replicas of a deployment: the reconciler's seam to the container runtime. */
public interface ReplicaRuntime {
    /**
     * Starts one replica of a revision (its {@link Revision#replicaSpec}) and returns once its process runs (not yet
     * ready).
     *
     * @throws PendingException when it cannot start now for want of something another replica holds (a GPU)
     */
    Replica start(DeploymentSpec spec, int revision, String replicaName) throws IOException;

    /** Stops and removes a replica; a replica already gone is not an error. */
    void stop(Replica replica) throws IOException, InterruptedException;

    /** Whether the replica answers its readiness probe now. */
    boolean ready(Replica replica);

    /** Why the replica's process is gone (exit code, OOM kill), or empty while it runs or when that is unknown. */
    Optional<String> exited(Replica replica);

    /**
     * The last {@code lines} lines the replica's processes wrote, stdout and stderr as they came; empty when they
     * cannot be read (the replica is gone).
     */
    List<String> lastOutput(Replica replica, int lines);

    /**
     * The replicas an earlier gateway process started in this home and left behind (it was killed), running or not;
     * {@link #stop} removes them.
     */
    List<LeftOver> leftOver() throws IOException;

    /** The digest of the image the deployment's replicas would run now; empty when the image is not in the store. */
    Optional<String> imageDigest(DeploymentSpec spec);

    /**
     * A replica found at start-up.
     *
     * @param deployment  the deployment it was started for
     * @param imageDigest the digest of the image it runs
     * @param revision    the deployment's revision it was started for; 0 when its record predates revisions
     */
    record LeftOver(Replica replica, String deployment, String imageDigest, int revision, boolean running) {
    }

    /** A replica cannot start now because what it needs is held by others (e.g. no GPU free); retried later. */
    final class PendingException extends IOException {
        public PendingException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A started replica.
     *
     * @param base      where it listens, e.g. http://10.89.0.7:8080
     * @param modelName the model name its server answers to under /v2/models/
     */
    record Replica(String id, String name, URI base, String healthPath, String modelName) {
    }
}
