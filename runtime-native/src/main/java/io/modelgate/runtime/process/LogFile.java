package io.modelgate.runtime.process;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the CRI-format log mg-monitor writes ({@code <time> <stdout|stderr> <F|P> <text>}, see src/main/c/logs.h):
 * the rotated file first, then the current one; partial entries (P) are joined to the line they belong to.
 */
final class LogFile {
    private LogFile() {
    }

    static List<LogEntry> read(Path... files) throws IOException {
        Parser parser = new Parser();
        for (Path file : files) {
            byte[] content;
            try {
                content = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                continue;
            }
            parser.feed(new String(content, StandardCharsets.UTF_8));
        }
        return parser.finish();
    }

    static List<LogEntry> parse(String content) {
        Parser parser = new Parser();
        parser.feed(content);
        return parser.finish();
    }

    private static final class Parser {
        private final List<LogEntry> entries = new ArrayList<>();
        private final Map<LogEntry.Stream, Instant> partialSince = new EnumMap<>(LogEntry.Stream.class);
        private final Map<LogEntry.Stream, StringBuilder> partial = new EnumMap<>(LogEntry.Stream.class);

        void feed(String content) {
            for (String line : content.split("\n", -1)) {
                // "<time> <stream> <tag> <text>": the text is everything after the third space, spaces included.
                int a = line.indexOf(' ');
                int b = a < 0 ? -1 : line.indexOf(' ', a + 1);
                int c = b < 0 ? -1 : line.indexOf(' ', b + 1);
                if (c < 0) {
                    continue; // the empty tail after the last newline, or a line cut short by rotation
                }
                Instant time;
                LogEntry.Stream stream;
                try {
                    time = Instant.parse(line.substring(0, a));
                    stream = LogEntry.Stream.valueOf(line.substring(a + 1, b).toUpperCase(java.util.Locale.ROOT));
                } catch (DateTimeParseException | IllegalArgumentException e) {
                    continue;
                }
                String tag = line.substring(b + 1, c);
                String text = line.substring(c + 1);
                StringBuilder pending = partial.get(stream);
                if (tag.equals("P")) {
                    partialSince.putIfAbsent(stream, time);
                    partial.computeIfAbsent(stream, s -> new StringBuilder()).append(text);
                } else if (pending != null) {
                    entries.add(new LogEntry(partialSince.remove(stream), stream, pending.append(text).toString()));
                    partial.remove(stream);
                } else {
                    entries.add(new LogEntry(time, stream, text));
                }
            }
        }

        List<LogEntry> finish() {
            // A stream that ended without a newline: its last line is still a line.
            partial.forEach((stream, text) -> entries.add(new LogEntry(partialSince.get(stream), stream, text.toString())));
            partial.clear();
            partialSince.clear();
            return List.copyOf(entries);
        }
    }
}
