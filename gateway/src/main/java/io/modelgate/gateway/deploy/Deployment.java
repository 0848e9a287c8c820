package io.modelgate.gateway.deploy;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * A deployment as stored: the spec (whose image, resources and env are those of the newest revision taking
 * requests), when it was accepted, and its revisions, oldest first. A deployment stored before it had revisions has
 * none listed; the reconciler then treats its spec as revision 1.
 */
public record Deployment(DeploymentSpec spec, Instant createdAt, List<Revision> revisions) {
    public Deployment {
        revisions = revisions.stream().sorted(Comparator.comparingInt(Revision::number)).toList();
        if (!revisions.isEmpty() && revisions.stream().mapToInt(Revision::weight).sum() != 100) {
            throw new IllegalArgumentException("the weights of the revisions of '" + spec.name() + "' must add up to 100");
        }
    }

    public Deployment(DeploymentSpec spec, Instant createdAt) {
        this(spec, createdAt, List.of());
    }

    public String name() {
        return spec.name();
    }

    public Optional<Revision> revision(int number) {
        return revisions.stream().filter(r -> r.number() == number).findFirst();
    }

    /** The newest revision, whatever its weight. */
    public Optional<Revision> newest() {
        return revisions.isEmpty() ? Optional.empty() : Optional.of(revisions.get(revisions.size() - 1));
    }
}
