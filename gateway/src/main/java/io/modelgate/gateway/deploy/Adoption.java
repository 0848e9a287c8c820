package io.modelgate.gateway.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Decides, when the gateway starts, what becomes of the replicas an earlier gateway process left running: a running
 * replica of a deployment that still exists with the same image digest is adopted; every other one is removed.
 */
final class Adoption {
    private Adoption() {
    }

    /** What to adopt and what to remove, with why, for logs. */
    record Plan(List<ReplicaRuntime.LeftOver> adopt, List<Removal> remove) {
        Plan {
            adopt = List.copyOf(adopt);
            remove = List.copyOf(remove);
        }
    }

    record Removal(ReplicaRuntime.LeftOver replica, String why) {
    }

    /**
     * @param wantedDigests per stored deployment, the digest of the image its replicas run now (a deployment whose
     *                      image is no longer in the store is absent, so its replicas are removed)
     * @param found         the replicas an earlier gateway process left
     */
    static Plan plan(Map<String, String> wantedDigests, List<ReplicaRuntime.LeftOver> found) {
        List<ReplicaRuntime.LeftOver> adopt = new ArrayList<>();
        List<Removal> remove = new ArrayList<>();
        for (ReplicaRuntime.LeftOver f : found) {
            String wanted = wantedDigests.get(f.deployment());
            if (!f.running()) {
                remove.add(new Removal(f, "is no longer running"));
            } else if (wanted == null) {
                remove.add(new Removal(f, "serves deployment '" + f.deployment() + "', which is gone"));
            } else if (!wanted.equals(f.imageDigest())) {
                remove.add(new Removal(f, "runs image " + f.imageDigest() + " but deployment '" + f.deployment()
                        + "' now wants " + wanted));
            } else {
                adopt.add(f);
            }
        }
        return new Plan(adopt, remove);
    }
}
