package io.modelgate.runtime.process;

import java.time.Instant;
import java.util.Objects;

/** One line a container wrote; {@code time} is when its first byte reached the monitor. */
public record LogEntry(Instant time, Stream stream, String text) {
    public enum Stream {
        STDOUT, STDERR
    }

    public LogEntry {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(text, "text");
    }
}
