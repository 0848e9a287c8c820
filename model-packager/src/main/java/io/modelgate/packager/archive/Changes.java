package io.modelgate.packager.archive;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.modelgate.packager.image.ImageConfig.RuntimeConfig;
import io.modelgate.packager.image.Json;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code docker import --change}: Dockerfile instructions that only touch the image config (CMD, ENTRYPOINT,
 * ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR), in Dockerfile syntax. Variables ($VAR) are not
 * expanded, and ONBUILD is not supported.
 */
final class Changes {
    static final List<String> SUPPORTED = List.of("CMD", "ENTRYPOINT", "ENV", "EXPOSE", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR");
    private static final Pattern PORT = Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?(?:/(tcp|udp|sctp))?", Pattern.CASE_INSENSITIVE);

    private Changes() {
    }

    static RuntimeConfig apply(RuntimeConfig config, List<String> changes) {
        RuntimeConfig c = config;
        for (String change : changes) {
            c = apply(c, change);
        }
        return c;
    }

    static RuntimeConfig apply(RuntimeConfig c, String change) {
        String line = change.strip();
        int space = firstWhitespace(line);
        String instruction = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        String args = space < 0 ? "" : line.substring(space).strip();
        if (!SUPPORTED.contains(instruction)) {
            throw new IllegalArgumentException("unsupported --change instruction '" + (instruction.isEmpty() ? change : instruction)
                    + "' (supported: " + String.join(", ", SUPPORTED) + ")");
        }
        if (args.isEmpty()) {
            throw new IllegalArgumentException("--change '" + change + "': " + instruction + " needs an argument");
        }
        try {
            return switch (instruction) {
                case "CMD" -> c.withCmd(command(args));
                case "ENTRYPOINT" -> c.withEntrypoint(command(args));
                case "ENV" -> c.withEnv(env(c.env(), pairs(args)));
                case "LABEL" -> c.withLabels(pairs(args));
                case "EXPOSE" -> expose(c, args);
                case "USER" -> c.withUser(args);
                case "WORKDIR" -> c.withWorkingDir(workdir(c.workingDir(), args));
                case "STOPSIGNAL" -> new RuntimeConfig(c.user(), c.exposedPorts(), c.env(), c.entrypoint(), c.cmd(), c.volumes(),
                        c.workingDir(), c.labels(), args);
                case "VOLUME" -> volumes(c, args);
                default -> throw new IllegalStateException(instruction);
            };
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--change '" + change + "': " + e.getMessage(), e);
        }
    }

    /** Exec form (a JSON array of strings) or shell form, which runs under /bin/sh -c as in a Dockerfile. */
    static List<String> command(String args) {
        List<String> exec = jsonArray(args);
        return exec != null ? exec : List.of("/bin/sh", "-c", args);
    }

    /** A JSON array of strings, or null when the text is not one (Docker then falls back to the shell form). */
    private static List<String> jsonArray(String args) {
        if (!args.startsWith("[")) {
            return null;
        }
        try {
            List<Object> values = Json.mapper().readValue(args, new TypeReference<List<Object>>() {
            });
            if (values == null || !values.stream().allMatch(v -> v instanceof String)) {
                return null;
            }
            return values.stream().map(String.class::cast).toList();
        } catch (JacksonException e) {
            return null;
        }
    }

    /** {@code K=V K2="v 2"}, or the old one-pair form {@code K value with spaces}. */
    static Map<String, String> pairs(String args) {
        Map<String, String> out = new TreeMap<>();
        int space = firstWhitespace(args);
        String first = space < 0 ? args : args.substring(0, space);
        if (!first.contains("=")) {
            if (space < 0) {
                throw new IllegalArgumentException("'" + args + "' has no value (use KEY=VALUE)");
            }
            out.put(first, unquote(args.substring(space).strip()));
            return out;
        }
        for (String word : words(args)) {
            int eq = word.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("'" + word + "' is not KEY=VALUE");
            }
            out.put(word.substring(0, eq), word.substring(eq + 1));
        }
        return out;
    }

    private static List<String> env(List<String> current, Map<String, String> set) {
        List<String> env = new ArrayList<>();
        for (String e : current) {
            int eq = e.indexOf('=');
            if (!set.containsKey(eq < 0 ? e : e.substring(0, eq))) {
                env.add(e);
            }
        }
        set.forEach((k, v) -> env.add(k + "=" + v));
        return env;
    }

    private static RuntimeConfig expose(RuntimeConfig c, String args) {
        Map<String, Map<String, Object>> ports = new TreeMap<>(c.exposedPorts());
        for (String word : words(args)) {
            Matcher m = PORT.matcher(word);
            if (!m.matches()) {
                throw new IllegalArgumentException("invalid port '" + word + "' (expected PORT[-END][/tcp|udp|sctp])");
            }
            int from = port(m.group(1));
            int to = m.group(2) == null ? from : port(m.group(2));
            if (to < from) {
                throw new IllegalArgumentException("invalid port range '" + word + "'");
            }
            String proto = m.group(3) == null ? "tcp" : m.group(3).toLowerCase(Locale.ROOT);
            for (int p = from; p <= to; p++) {
                ports.put(p + "/" + proto, Map.of());
            }
        }
        return new RuntimeConfig(c.user(), ports, c.env(), c.entrypoint(), c.cmd(), c.volumes(), c.workingDir(), c.labels(), c.stopSignal());
    }

    private static int port(String text) {
        int p = Integer.parseInt(text);
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("port " + p + " is out of range 1-65535");
        }
        return p;
    }

    private static RuntimeConfig volumes(RuntimeConfig c, String args) {
        List<String> paths = jsonArray(args);
        Map<String, Map<String, Object>> volumes = new TreeMap<>(c.volumes());
        for (String p : paths != null ? paths : words(args)) {
            if (p.isBlank()) {
                throw new IllegalArgumentException("a volume path is empty");
            }
            volumes.put(p, Map.of());
        }
        return new RuntimeConfig(c.user(), c.exposedPorts(), c.env(), c.entrypoint(), c.cmd(), volumes, c.workingDir(), c.labels(), c.stopSignal());
    }

    /** A relative WORKDIR continues from the previous one, as in a Dockerfile. */
    private static String workdir(String current, String arg) {
        String dir = unquote(arg);
        Path base = Path.of(current == null || current.isEmpty() ? "/" : current);
        return base.resolve(dir).normalize().toString();
    }

    private static String unquote(String text) {
        List<String> w = words(text);
        return w.size() == 1 ? w.get(0) : text;
    }

    /** Splits on unquoted whitespace; "double" and 'single' quotes group, a backslash escapes the next character. */
    static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char ch = text.charAt(i);
            if (quote == 0 && Character.isWhitespace(ch)) {
                if (inWord) {
                    words.add(word.toString());
                    word.setLength(0);
                    inWord = false;
                }
                continue;
            }
            inWord = true;
            if (ch == '\\' && quote != '\'' && i + 1 < text.length()) {
                word.append(text.charAt(++i));
            } else if (quote == 0 && (ch == '"' || ch == '\'')) {
                quote = ch;
            } else if (ch == quote) {
                quote = 0;
            } else {
                word.append(ch);
            }
        }
        if (quote != 0) {
            throw new IllegalArgumentException("unterminated " + quote + " quote in '" + text + "'");
        }
        if (inWord) {
            words.add(word.toString());
        }
        return words;
    }

    private static int firstWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isWhitespace(s.charAt(i))) {
                return i;
            }
        }
        return -1;
    }
}
