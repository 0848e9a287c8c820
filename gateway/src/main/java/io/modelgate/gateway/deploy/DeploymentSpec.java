package io.modelgate.gateway.deploy;

import io.modelgate.gateway.route.RoutingPolicy;
import io.modelgate.gateway.scale.ScalingSpec;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a user asked to deploy, validated and with defaults filled in: the durable desired state of one model.
 *
 * @param timeout how long a replica may take to start answering one of this model's requests (a streamed request
 *                body included), and may stay silent while it streams an answer; absent: the gateway's
 *                modelgate.inference.timeout
 */
public record DeploymentSpec(String name, String image, int minReplicas, int maxReplicas, int containerConcurrency,
                             Resources resources, SortedMap<String, String> env, Autoscaling autoscaling,
                             Optional<Duration> timeout) {
    /** RFC 1123 label: usable as a container name, a DNS name and a URL path segment. */
    static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    public DeploymentSpec {
        if (name == null || !DNS_LABEL.matcher(name).matches()) {
            throw new IllegalArgumentException("name '" + name + "' is not DNS-safe");
        }
        if (image == null || image.isBlank()) {
            throw new IllegalArgumentException("image is required");
        }
        // the bounds are checked, with the field names, by the scaling spec
        scaling(minReplicas, maxReplicas, containerConcurrency, autoscaling);
        env = new TreeMap<>(env);
        if (timeout.isPresent() && (timeout.get().isNegative() || timeout.get().isZero())) {
            throw new IllegalArgumentException("timeout must be positive, got " + timeout.get());
        }
    }

    @Override
    public SortedMap<String, String> env() {
        return new TreeMap<>(env);
    }

    /** Limits for each replica; absent values mean "no limit" (cpus, memory) and no GPU. */
    public record Resources(OptionalDouble cpus, OptionalLong memoryBytes, int gpus) {
        public static final Resources NONE = new Resources(OptionalDouble.empty(), OptionalLong.empty(), 0);
    }

    /** The autoscaler's knobs; an absent target means containerConcurrency × 0.7. */
    public record Autoscaling(OptionalDouble target, Duration stableWindow, Duration scaleToZeroGrace) {
        public static final Autoscaling DEFAULT = new Autoscaling(OptionalDouble.empty(),
                ScalingSpec.DEFAULT_STABLE_WINDOW, ScalingSpec.DEFAULT_SCALE_TO_ZERO_GRACE);
    }

    /** The same bounds and autoscaling with another image, resources and environment (those of a revision). */
    public DeploymentSpec withTemplate(String image, Resources resources, SortedMap<String, String> env) {
        return new DeploymentSpec(name, image, minReplicas, maxReplicas, containerConcurrency, resources, env, autoscaling,
                timeout);
    }

    public ScalingSpec scaling() {
        return scaling(minReplicas, maxReplicas, containerConcurrency, autoscaling);
    }

    public RoutingPolicy routing() {
        RoutingPolicy policy = RoutingPolicy.of(containerConcurrency);
        return timeout.map(policy::withReplicaTimeout).orElse(policy);
    }

    private static ScalingSpec scaling(int min, int max, int cc, Autoscaling a) {
        ScalingSpec s = ScalingSpec.of(min, max, cc).withStableWindow(a.stableWindow()).withScaleToZeroGrace(a.scaleToZeroGrace());
        return a.target().isPresent() ? s.withTarget(a.target().getAsDouble()) : s;
    }
}
