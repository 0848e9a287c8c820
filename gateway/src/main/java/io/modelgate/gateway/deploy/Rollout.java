package io.modelgate.gateway.deploy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What a PATCH makes of a deployment's revisions. A change of image digest, resources or env makes a new revision:
 * with no {@code rollout.weight} (or 100) it takes every request once its replicas are ready (a rolling update);
 * with a weight below 100 it shares the requests with the revision that had the most so far (a canary). Without a
 * change of those, {@code rollout.weight} moves the share of the newest revision: 100 promotes it, 0 rolls back.
 * Revisions that lose all their requests stay listed at weight 0 until the next new revision, so that a restart
 * in the middle of a rollout can still adopt their replicas while they drain. Pure: no I/O.
 */
final class Rollout {
    private Rollout() {
    }

    /**
     * @param current the stored deployment, with its revisions
     * @param patched the spec after the merge patch (validated)
     * @param digest  the digest of {@code patched.image()} where the PATCH named an image, else empty (the image of
     *                the current revision stays)
     * @param weight  rollout.weight, when the PATCH gave one
     */
    static Deployment apply(Deployment current, DeploymentSpec patched, Optional<String> digest, OptionalInt weight) {
        List<Revision> revisions = current.revisions();
        if (revisions.isEmpty()) {
            throw new IllegalArgumentException("deployment '" + current.name() + "' has no revisions");
        }
        Revision live = newestWeighted(revisions);
        String wantedDigest = digest.orElse(live.digest());
        if (!live.sameTemplate(wantedDigest, patched.resources(), patched.env())) {
            int w = weight.orElse(100);
            if (w == 0) {
                throw new FieldException("rollout.weight", "a new revision at rollout.weight 0 would get no requests; "
                        + "give it a weight from 1 to 100 (100, the default, replaces the current revision)");
            }
            String image = digest.isPresent() ? patched.image() : live.image();
            Revision next = new Revision(revisions.get(revisions.size() - 1).number() + 1, image, wantedDigest,
                    patched.resources(), patched.env(), w);
            Revision stable = w == 100 ? null : revisions.stream().filter(r -> r.weight() > 0)
                    .max(Comparator.comparingInt(Revision::weight).thenComparingInt(Revision::number)).orElseThrow();
            List<Revision> out = new ArrayList<>();
            for (Revision r : revisions) {
                if (r.weight() > 0) {
                    out.add(r.withWeight(r == stable ? 100 - w : 0));
                }
            }
            out.add(next);
            return new Deployment(patched.withTemplate(image, patched.resources(), patched.env()), current.createdAt(), out);
        }
        if (weight.isEmpty()) {
            return new Deployment(patched, current.createdAt(), revisions);
        }
        int w = weight.getAsInt();
        Revision target = revisions.get(revisions.size() - 1);
        Optional<Revision> other = revisions.stream().filter(r -> r != target && r.weight() > 0)
                .max(Comparator.comparingInt(Revision::weight).thenComparingInt(Revision::number))
                .or(() -> revisions.stream().filter(r -> r != target).max(Comparator.comparingInt(Revision::number)));
        if (other.isEmpty()) {
            if (w != 100) {
                throw new FieldException("rollout.weight", "model '" + current.name() + "' has one revision, which "
                        + "takes every request; to split traffic, PATCH a new image (or resources or env) together "
                        + "with rollout.weight");
            }
            return new Deployment(patched, current.createdAt(), revisions);
        }
        List<Revision> out = new ArrayList<>();
        for (Revision r : revisions) {
            if (r == target) {
                out.add(r.withWeight(w));
            } else if (r == other.get()) {
                out.add(r.withWeight(100 - w));
            } else if (r.weight() > 0) {
                out.add(r.withWeight(0));
            }
        }
        Revision shown = w > 0 ? target : other.get();
        return new Deployment(patched.withTemplate(shown.image(), shown.resources(), shown.env()), current.createdAt(), out);
    }

    /** The newest revision that takes requests: the one whose image, resources and env the spec shows. */
    static Revision newestWeighted(List<Revision> revisions) {
        return revisions.stream().filter(r -> r.weight() > 0).max(Comparator.comparingInt(Revision::number))
                .orElseThrow();
    }
}
