package io.modelgate.gateway.logs;

import io.modelgate.runtime.process.LogEntry;
import io.smallrye.mutiny.helpers.test.AssertSubscriber;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** Tail, merge and follow over an in-memory log source (the runtime's logs are exercised by SourcesIT). */
class ReplicaLogsTest {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    /** Replicas and their logs as a test sets them; the stamp is the number of entries and a rotation count. */
    static final class FakeSource implements LogSource {
        final Map<String, List<LogEntry>> logs = new ConcurrentHashMap<>();
        final Map<String, Integer> rotations = new ConcurrentHashMap<>();
        volatile boolean deployed = true;
        volatile int reads;

        void write(String replica, int second, String text) {
            logs.computeIfAbsent(replica, r -> new java.util.concurrent.CopyOnWriteArrayList<>())
                    .add(new LogEntry(T0.plusSeconds(second), LogEntry.Stream.STDOUT, text));
        }

        /** The log rotated away all but its last {@code keep} entries. */
        void rotate(String replica, int keep) {
            List<LogEntry> l = logs.get(replica);
            List<LogEntry> kept = new ArrayList<>(l.subList(l.size() - keep, l.size()));
            logs.put(replica, new java.util.concurrent.CopyOnWriteArrayList<>(kept));
            rotations.merge(replica, 1, Integer::sum);
        }

        @Override
        public boolean deployed(String deployment) {
            return deployed;
        }

        @Override
        public List<String> replicas(String deployment) {
            return List.copyOf(new TreeMap<>(logs).keySet());
        }

        @Override
        public String stamp(String replica) {
            return logs.getOrDefault(replica, List.of()).size() + "/" + rotations.getOrDefault(replica, 0);
        }

        @Override
        public List<LogEntry> entries(String replica) {
            reads++;
            return List.copyOf(logs.getOrDefault(replica, List.of()));
        }
    }

    private static String text(AssertSubscriber<String> s) {
        return String.join("", s.getItems());
    }

    /** Waits until what the follower received ends with {@code expected} (the poller may split it into several items). */
    private static void awaitEnding(AssertSubscriber<String> s, String expected) throws InterruptedException {
        for (int i = 0; i < 500 && !text(s).endsWith(expected); i++) {
            Thread.sleep(10);
        }
        assertThat(text(s)).endsWith(expected);
    }

    @Test
    void merges_replicas_by_time_with_their_names_and_tails_each() throws Exception {
        FakeSource source = new FakeSource();
        source.write("m-aaaaaa", 1, "a1");
        source.write("m-bbbbbb", 2, "b2");
        source.write("m-aaaaaa", 3, "a3");
        ReplicaLogs logs = new ReplicaLogs(source, Duration.ofMillis(10));
        assertThat(logs.lines(List.of("m-aaaaaa", "m-bbbbbb"), -1))
                .containsExactly("m-aaaaaa | a1", "m-bbbbbb | b2", "m-aaaaaa | a3");
        assertThat(logs.lines(List.of("m-aaaaaa", "m-bbbbbb"), 1)).containsExactly("m-bbbbbb | b2", "m-aaaaaa | a3");
        assertThat(logs.lines(List.of("m-aaaaaa"), 0)).isEmpty();
    }

    @Test
    void follow_sends_the_tail_then_new_lines_of_old_and_new_replicas_and_ends_when_the_deployment_goes() throws Exception {
        FakeSource source = new FakeSource();
        source.write("m-aaaaaa", 1, "old");
        source.write("m-aaaaaa", 2, "recent");
        ReplicaLogs logs = new ReplicaLogs(source, Duration.ofMillis(10));
        AssertSubscriber<String> s = logs.follow("m", null, 1).subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        s.awaitItems(1);
        assertThat(text(s)).isEqualTo("m-aaaaaa | recent\n");
        assertThat(logs.followers()).isEqualTo(1);

        source.write("m-aaaaaa", 3, "later");
        source.write("m-bbbbbb", 4, "a new replica's first line");
        awaitEnding(s, "first line\n");
        assertThat(text(s)).isEqualTo("m-aaaaaa | recent\nm-aaaaaa | later\nm-bbbbbb | a new replica's first line\n");

        source.deployed = false;
        s.awaitCompletion(Duration.ofSeconds(5));
        assertThat(logs.followers()).isZero();
    }

    @Test
    void follow_after_a_rotation_sends_only_what_is_newer_than_the_last_line_sent() throws Exception {
        FakeSource source = new FakeSource();
        for (int i = 1; i <= 5; i++) {
            source.write("m-aaaaaa", i, "line " + i);
        }
        ReplicaLogs logs = new ReplicaLogs(source, Duration.ofMillis(10));
        AssertSubscriber<String> s = logs.follow("m", null, -1).subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        s.awaitItems(1);
        source.rotate("m-aaaaaa", 2); // lines 4 and 5 remain, fewer than were sent
        source.write("m-aaaaaa", 6, "line 6");
        awaitEnding(s, "line 6\n");
        assertThat(text(s)).isEqualTo("m-aaaaaa | line 1\nm-aaaaaa | line 2\nm-aaaaaa | line 3\nm-aaaaaa | line 4\n"
                + "m-aaaaaa | line 5\nm-aaaaaa | line 6\n");
        // rotated again and grown past what was sent before the next poll: still only the new lines
        source.rotate("m-aaaaaa", 1);
        for (int i = 7; i <= 12; i++) {
            source.write("m-aaaaaa", i, "line " + i);
        }
        awaitEnding(s, "line 12\n");
        assertThat(text(s)).endsWith("m-aaaaaa | line 6\nm-aaaaaa | line 7\nm-aaaaaa | line 8\nm-aaaaaa | line 9\n"
                + "m-aaaaaa | line 10\nm-aaaaaa | line 11\nm-aaaaaa | line 12\n");
        s.cancel();
    }

    @Test
    void an_unchanged_log_is_not_read_again_and_a_cancelled_follow_stops_polling() throws Exception {
        FakeSource source = new FakeSource();
        source.write("m-aaaaaa", 1, "only");
        ReplicaLogs logs = new ReplicaLogs(source, Duration.ofMillis(10));
        AssertSubscriber<String> s = logs.follow("m", null, -1).subscribe().withSubscriber(AssertSubscriber.create(Long.MAX_VALUE));
        s.awaitItems(1);
        Thread.sleep(200);
        assertThat(source.reads).as("reads of a log that did not change").isEqualTo(1);
        s.cancel();
        assertThat(logs.followers()).isZero();
    }
}
