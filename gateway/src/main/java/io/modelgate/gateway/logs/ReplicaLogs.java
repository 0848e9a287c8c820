package io.modelgate.gateway.logs;

import io.modelgate.gateway.deploy.DeploymentStore;
import io.modelgate.runtime.process.LogEntry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The output of a deployment's replicas, each line prefixed with the replica's name ({@code iris-3fa2c1 | text}),
 * read from the runtime's per-container logs ({@link RuntimeLogSource}). Following polls each log's size
 * and time on Mutiny's shared timer and reads it on the shared worker pool only when it changed, so a follower
 * holds no thread of its own; it ends when its subscriber cancels (the client went away) or the deployment is
 * deleted.
 */
@Singleton
public class ReplicaLogs {
    static final Duration POLL = Duration.ofMillis(250);
    private final LogSource source;
    private final Duration poll;
    private final AtomicInteger followers = new AtomicInteger();

    @Inject
    public ReplicaLogs(@ConfigProperty(name = "modelgate.home") Path home, DeploymentStore store) {
        this(new RuntimeLogSource(home, store), POLL);
    }

    ReplicaLogs(LogSource source, Duration poll) {
        this.source = source;
        this.poll = poll;
    }

    /** The deployment's replicas now, sorted by name. */
    public List<String> replicas(String deployment) throws IOException {
        return source.replicas(deployment);
    }

    /** The last {@code tail} lines of each replica (all when negative), merged by time. */
    public List<String> lines(List<String> replicas, int tail) throws IOException {
        List<Tagged> all = new ArrayList<>();
        for (String r : replicas) {
            List<LogEntry> entries = source.entries(r);
            int from = tail < 0 ? 0 : Math.max(0, entries.size() - tail);
            for (LogEntry e : entries.subList(from, entries.size())) {
                all.add(new Tagged(r, e));
            }
        }
        all.sort(Comparator.comparing(t -> t.entry.time()));
        return all.stream().map(Tagged::line).toList();
    }

    /**
     * The last {@code tail} lines of each replica, then new lines as they are written, by replicas there now and
     * those started later (only {@code replica} when it is given), until cancelled or the deployment is gone.
     * Each item is one or more whole lines.
     */
    public Multi<String> follow(String deployment, String replica, int tail) {
        Follower f = new Follower(deployment, replica, tail);
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1)).every(poll)
                .onOverflow().drop()
                // the timer fires on an event loop; reading the logs is blocking file I/O
                .emitOn(Infrastructure.getDefaultWorkerPool())
                .map(tick -> f.poll())
                .select().first(chunk -> chunk != Follower.END)
                .filter(chunk -> !chunk.isEmpty())
                .onSubscription().invoke(followers::incrementAndGet)
                .onTermination().invoke(followers::decrementAndGet);
    }

    /** How many follow streams are open now. */
    public int followers() {
        return followers.get();
    }

    private record Tagged(String replica, LogEntry entry) {
        String line() {
            return replica + " | " + entry.text();
        }
    }

    /** What one follower has sent of each replica: how many entries, and the time of the last. */
    private final class Follower {
        static final String END = new String("end of the stream");
        private final String deployment;
        private final String replica;
        private final int tail;
        private final Map<String, Integer> sent = new HashMap<>();
        private final Map<String, Instant> lastTime = new HashMap<>();
        private final Map<String, String> stamps = new HashMap<>();
        private boolean first = true;

        Follower(String deployment, String replica, int tail) {
            this.deployment = deployment;
            this.replica = replica;
            this.tail = tail;
        }

        String poll() {
            try {
                if (!source.deployed(deployment)) {
                    return END;
                }
                List<String> names = replica == null ? source.replicas(deployment) : List.of(replica);
                List<Tagged> fresh = new ArrayList<>();
                for (String r : names) {
                    String stamp = source.stamp(r);
                    if (stamp.equals(stamps.get(r))) {
                        continue; // nothing written since the last poll: the log is not read again
                    }
                    stamps.put(r, stamp);
                    List<LogEntry> entries = source.entries(r);
                    int before = sent.getOrDefault(r, -1);
                    Instant last = lastTime.get(r);
                    // the log rotated when the last entry sent is no longer where it was: go by time from then on
                    boolean rotated = before > entries.size()
                            || (before > 0 && last != null && !entries.get(before - 1).time().equals(last));
                    int start;
                    if (before < 0) {
                        // a replica seen for the first time: its tail when the stream opens, all of it when it started later
                        start = first && tail >= 0 ? Math.max(0, entries.size() - tail) : 0;
                    } else {
                        start = rotated ? 0 : before;
                    }
                    for (int i = start; i < entries.size(); i++) {
                        LogEntry e = entries.get(i);
                        if (rotated && last != null && !e.time().isAfter(last)) {
                            continue;
                        }
                        fresh.add(new Tagged(r, e));
                        lastTime.put(r, e.time());
                    }
                    sent.put(r, entries.size());
                }
                first = false;
                fresh.sort(Comparator.comparing(t -> t.entry.time()));
                StringBuilder chunk = new StringBuilder();
                for (Tagged t : fresh) {
                    chunk.append(t.line()).append('\n');
                }
                return chunk.toString();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
