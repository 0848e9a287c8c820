package io.modelgate.runtime.container;

import java.util.List;

/**
 * What the runtime remembers of a container, in {@code <home>/containers/<id>/container.json}: written once the
 * container runs, so that any later process (ps, stop, rm, a restarted gateway) can find and undo all of it, even one
 * whose runtime puts new containers under another parent cgroup ({@code cgroupParent}: null in records written before
 * it was kept, which are under the runtime's parent).
 */
record ContainerRecord(String id, String name, String image, String imageDigest, String created, RunRequest request,
                       List<String> argv, String address, List<Long> proxyPids, List<String> gpus, List<String> mounts,
                       List<String> lowerDiffIds, String cgroupParent) {
    ContainerRecord {
        argv = List.copyOf(argv);
        proxyPids = proxyPids == null ? List.of() : List.copyOf(proxyPids);
        gpus = gpus == null ? List.of() : List.copyOf(gpus);
        mounts = mounts == null ? List.of() : List.copyOf(mounts);
        lowerDiffIds = lowerDiffIds == null ? List.of() : List.copyOf(lowerDiffIds);
    }
}
