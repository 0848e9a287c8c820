package io.modelgate.gateway.deploy;

import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One immutable version of what a deployment's replicas run: the image pinned to its digest, the resources and the
 * environment, and the share of requests it gets (0 to 100). A change of any of the first three makes a new
 * revision; replicas of different revisions serve side by side during a rollout or a traffic split.
 *
 * @param number  1, 2, … in the order they were made; shown to users and sent as the modelgate-revision header
 * @param image   the reference the user gave (e.g. iris:2), for people
 * @param digest  the manifest digest the reference named when the revision was made; replicas run exactly this
 * @param weight  percent of requests (0 = retired: kept only until its replicas have drained)
 */
public record Revision(int number, String image, String digest, DeploymentSpec.Resources resources,
                       SortedMap<String, String> env, int weight) {
    public Revision {
        if (number < 1) {
            throw new IllegalArgumentException("revision number must be 1 or more, got " + number);
        }
        if (image == null || image.isBlank() || digest == null || digest.isBlank()) {
            throw new IllegalArgumentException("revision " + number + " needs an image and its digest");
        }
        if (weight < 0 || weight > 100) {
            throw new IllegalArgumentException("revision " + number + ": weight must be 0 to 100, got " + weight);
        }
        env = new TreeMap<>(env);
    }

    /** The first revision of a deployment, taking all requests. */
    public static Revision first(DeploymentSpec spec, String digest) {
        return new Revision(1, spec.image(), digest, spec.resources(), spec.env(), 100);
    }

    @Override
    public SortedMap<String, String> env() {
        return new TreeMap<>(env);
    }

    public Revision withWeight(int weight) {
        return new Revision(number, image, digest, resources, env, weight);
    }

    /** Whether replicas of this revision and of a spec resolving to {@code digest} would run the same thing. */
    boolean sameTemplate(String digest, DeploymentSpec.Resources resources, SortedMap<String, String> env) {
        return this.digest.equals(digest) && this.resources.equals(resources) && this.env.equals(env);
    }

    /**
     * The spec a replica of this revision is started from: the deployment's bounds with this revision's image (by
     * digest, so that a tag moved since does not change what runs), resources and environment.
     */
    public DeploymentSpec replicaSpec(DeploymentSpec deployment) {
        return new DeploymentSpec(deployment.name(), digest, deployment.minReplicas(), deployment.maxReplicas(),
                deployment.containerConcurrency(), resources, env, deployment.autoscaling(), deployment.timeout());
    }
}
