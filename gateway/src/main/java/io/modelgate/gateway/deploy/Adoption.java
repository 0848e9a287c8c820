package io.modelgate.gateway.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides, when the gateway starts, what becomes of the replicas an earlier gateway process left running: a running
 * replica of a revision that the stored deployment still lists, with the same image digest, is adopted (so a restart
 * in the middle of a rollout carries on from where it was); every other one is removed.
 */
final class Adoption {
    private Adoption() {
    }

    /** What to adopt (with the revision each runs) and what to remove, with why, for logs. */
    record Plan(List<ReplicaRuntime.LeftOver> adopt, List<Removal> remove) {
        Plan {
            adopt = List.copyOf(adopt);
            remove = List.copyOf(remove);
        }
    }

    record Removal(ReplicaRuntime.LeftOver replica, String why) {
    }

    /**
     * @param wanted per stored deployment, the image digest of each of its revisions by number (a deployment whose
     *               image is no longer in the store is absent, so its replicas are removed)
     * @param found  the replicas an earlier gateway process left; one whose record predates revisions (revision 0)
     *               is taken for the revision with its digest
     */
    static Plan plan(Map<String, Map<Integer, String>> wanted, List<ReplicaRuntime.LeftOver> found) {
        List<ReplicaRuntime.LeftOver> adopt = new ArrayList<>();
        List<Removal> remove = new ArrayList<>();
        for (ReplicaRuntime.LeftOver f : found) {
            Map<Integer, String> revisions = wanted.get(f.deployment());
            if (!f.running()) {
                remove.add(new Removal(f, "is no longer running"));
            } else if (revisions == null) {
                remove.add(new Removal(f, "serves deployment '" + f.deployment() + "', which is gone"));
            } else if (f.revision() == 0) {
                var same = revisions.entrySet().stream().filter(e -> e.getValue().equals(f.imageDigest()))
                        .map(Map.Entry::getKey).sorted().reduce((a, b) -> b);
                if (same.isPresent()) {
                    adopt.add(new ReplicaRuntime.LeftOver(f.replica(), f.deployment(), f.imageDigest(), same.get(), true));
                } else {
                    remove.add(new Removal(f, "runs image " + f.imageDigest() + " but deployment '" + f.deployment()
                            + "' now wants " + String.join(" or ", revisions.values().stream().distinct().sorted().toList())));
                }
            } else if (!revisions.containsKey(f.revision())) {
                remove.add(new Removal(f, "runs revision " + f.revision() + " of deployment '" + f.deployment()
                        + "', which no longer lists it"));
            } else if (!revisions.get(f.revision()).equals(f.imageDigest())) {
                remove.add(new Removal(f, "runs image " + f.imageDigest() + " but revision " + f.revision()
                        + " of deployment '" + f.deployment() + "' is " + revisions.get(f.revision())));
            } else {
                adopt.add(f);
            }
        }
        return new Plan(adopt, remove);
    }
}
