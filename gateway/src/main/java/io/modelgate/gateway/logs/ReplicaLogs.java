package io.modelgate.gateway.logs;

import io.modelgate.gateway.deploy.DeploymentStore;
import io.modelgate.runtime.container.ContainerNotFoundException;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.process.LogEntry;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The output of a deployment's replicas, each line prefixed with the replica's name ({@code iris-3fa2c1 | text}),
 * read from the runtime's per-container logs. A replica is the deployment's when the gateway's replica record
 * ({@code <home>/replicas/<name>.properties}, written by the native replica runtime) says so. Following polls each log's size
 * and time on Mutiny's shared timer and reads it on the shared worker pool only when it changed, so a follower
 * holds no thread of its own; it ends when its subscriber cancels (the
 * client went away) or the deployment is deleted.
 */
@Singleton
public class ReplicaLogs {
    static final Duration POLL = Duration.ofMillis(250);
    private final Path records;
    private final Containers containers;
    private final DeploymentStore store;
    private final AtomicInteger followers = new AtomicInteger();

    public ReplicaLogs(@ConfigProperty(name = "modelgate.home") Path home, DeploymentStore store) {
        this.records = home.resolve("replicas");
        this.containers = Containers.open(home);
        this.store = store;
    }

    /** The deployment's replicas that have a record now, sorted by name. */
    public List<String> replicas(String deployment) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        if (!Files.isDirectory(records)) {
            return List.of();
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(records, "*.properties")) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                if (file.startsWith(".")) {
                    continue; // a record being written
                }
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(f)) {
                    p.load(in);
                } catch (NoSuchFileException gone) {
                    continue; // the replica was removed meanwhile
                }
                if (deployment.equals(p.getProperty("deployment"))) {
                    names.add(file.substring(0, file.length() - ".properties".length()));
                }
            }
        }
        return List.copyOf(names);
    }

    /** The last {@code tail} lines of each replica (all when negative), merged by time. */
    public List<String> lines(List<String> replicas, int tail) throws IOException {
        List<Tagged> all = new ArrayList<>();
        for (String r : replicas) {
            List<LogEntry> entries = entries(r);
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
        return Multi.createFrom().ticks().startingAfter(Duration.ofMillis(1)).every(POLL)
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

    /** A replica's entries; none when it was removed meanwhile (its record is read before its container is). */
    private List<LogEntry> entries(String replica) throws IOException {
        try {
            return containers.logs(replica);
        } catch (ContainerNotFoundException | NoSuchFileException | FileNotFoundException gone) {
            return List.of();
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof NoSuchFileException || e.getCause() instanceof FileNotFoundException) {
                return List.of();
            }
            throw e;
        }
    }

    private String stamp(String replica) throws IOException {
        try {
            return containers.logStamp(replica);
        } catch (ContainerNotFoundException | NoSuchFileException | FileNotFoundException gone) {
            return "gone";
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof NoSuchFileException || e.getCause() instanceof FileNotFoundException) {
                return "gone";
            }
            throw e;
        }
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
                if (store.get(deployment).isEmpty()) {
                    return END;
                }
                List<String> names = replica == null ? replicas(deployment) : List.of(replica);
                List<Tagged> fresh = new ArrayList<>();
                for (String r : names) {
                    String stamp = stamp(r);
                    if (stamp.equals(stamps.get(r))) {
                        continue; // nothing written since the last poll: the log is not read again
                    }
                    stamps.put(r, stamp);
                    List<LogEntry> entries = entries(r);
                    int before = sent.getOrDefault(r, -1);
                    int start;
                    if (before < 0) {
                        // a replica seen for the first time: its tail when the stream opens, all of it when it started later
                        start = first && tail >= 0 ? Math.max(0, entries.size() - tail) : 0;
                    } else {
                        // the log rotated when it holds fewer entries than were sent: go by time from then on
                        start = before <= entries.size() ? before : 0;
                    }
                    Instant last = lastTime.get(r);
                    for (int i = start; i < entries.size(); i++) {
                        LogEntry e = entries.get(i);
                        if (before > entries.size() && last != null && !e.time().isAfter(last)) {
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
