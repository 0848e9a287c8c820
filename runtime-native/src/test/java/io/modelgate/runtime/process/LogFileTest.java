package io.modelgate.runtime.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class LogFileTest {
    @Test
    void reads_full_lines_with_their_stream_and_time() {
        List<LogEntry> entries = LogFile.parse("""
                2025-01-02T03:04:05.123456789Z stdout F hello world
                2025-01-02T03:04:06.000000000Z stderr F  leading space kept
                """);

        assertThat(entries).containsExactly(
                new LogEntry(Instant.parse("2025-01-02T03:04:05.123456789Z"), LogEntry.Stream.STDOUT, "hello world"),
                new LogEntry(Instant.parse("2025-01-02T03:04:06Z"), LogEntry.Stream.STDERR, " leading space kept"));
    }

    @Test
    void joins_partial_entries_per_stream_and_keeps_a_last_line_without_newline() {
        List<LogEntry> entries = LogFile.parse("""
                2025-01-02T03:04:05Z stdout P sh:\s
                2025-01-02T03:04:05Z stderr F oops
                2025-01-02T03:04:06Z stdout F can't create
                2025-01-02T03:04:07Z stdout P no newline
                """);

        assertThat(entries).extracting(LogEntry::text).containsExactly("oops", "sh: can't create", "no newline");
        assertThat(entries.get(1).time()).isEqualTo(Instant.parse("2025-01-02T03:04:05Z"));
    }

    @Test
    void skips_lines_it_cannot_read() {
        assertThat(LogFile.parse("garbage\n2025-01-02T03:04:05Z stdout F ok\nnot-a-time stdout F x\n"))
                .extracting(LogEntry::text).containsExactly("ok");
    }

    @Test
    void reads_the_rotated_file_before_the_current_one(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("ctr.log.1"), "2025-01-02T03:04:05Z stdout F first\n");
        Files.writeString(dir.resolve("ctr.log"), "2025-01-02T03:04:06Z stdout F second\n");

        assertThat(LogFile.read(dir.resolve("ctr.log.1"), dir.resolve("ctr.log"), dir.resolve("missing")))
                .extracting(LogEntry::text).containsExactly("first", "second");
    }
}
