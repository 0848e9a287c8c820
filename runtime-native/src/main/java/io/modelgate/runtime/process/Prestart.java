package io.modelgate.runtime.process;

import java.io.IOException;

/**
 * Runs once the container's init exists — in its namespaces and cgroups, not yet running anything — e.g. to
 * move a veth into {@code /proc/<pid>/ns/net}. If it throws, the container is killed and not started.
 */
@FunctionalInterface
public interface Prestart {
    /** @param pid the container's init as the host sees it */
    void run(long pid) throws IOException;

    Prestart NONE = pid -> {
    };
}
