package io.modelgate.gateway.logs;

import io.modelgate.runtime.process.LogEntry;

import java.io.IOException;
import java.util.List;

/** What the logs endpoint reads: the seam between following logs and the container runtime. */
interface LogSource {
    /** Whether the deployment still exists (a follower ends when it does not). */
    boolean deployed(String deployment) throws IOException;

    /** The deployment's replicas now, sorted by name. */
    List<String> replicas(String deployment) throws IOException;

    /** Changes whenever the replica's log does; any constant once the replica is gone. */
    String stamp(String replica) throws IOException;

    /** The replica's log, oldest first; empty once the replica is gone. */
    List<LogEntry> entries(String replica) throws IOException;
}
