package io.modelgate.packager.model;

import java.util.regex.Pattern;

/**
 * One pattern of {@code .modelignore}, with the syntax of {@code .dockerignore} (Go's filepath.Match plus
 * {@code **}): {@code *} and {@code ?} stay within one path segment, {@code **} spans any number of segments,
 * {@code [...]} is a character class, a leading {@code !} re-includes. A pattern also matches everything below
 * a directory it matches.
 */
record PathPattern(String source, boolean negated, Pattern regex) {

    static PathPattern parse(String line) {
        String p = line.trim();
        boolean negated = p.startsWith("!");
        if (negated) {
            p = p.substring(1).trim();
        }
        p = clean(p);
        return new PathPattern(line.trim(), negated, Pattern.compile(toRegex(p)));
    }

    /** True when the pattern matches the path or one of its parent directories. */
    boolean matches(String relativePath) {
        String path = relativePath;
        while (true) {
            if (regex.matcher(path).matches()) {
                return true;
            }
            int slash = path.lastIndexOf('/');
            if (slash < 0) {
                return false;
            }
            path = path.substring(0, slash);
        }
    }

    /** As filepath.Clean: no leading ./ or /, no duplicate or trailing slashes, . and .. resolved. */
    static String clean(String p) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (String s : p.split("/+")) {
            if (s.isEmpty() || s.equals(".")) {
                continue;
            }
            if (s.equals("..")) {
                parts.pollLast();
            } else {
                parts.add(s);
            }
        }
        return String.join("/", parts);
    }

    private static String toRegex(String p) {
        StringBuilder re = new StringBuilder();
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            switch (c) {
                case '*' -> {
                    if (i + 1 < p.length() && p.charAt(i + 1) == '*') {
                        i++;
                        if (i + 1 < p.length() && p.charAt(i + 1) == '/') {
                            i++;
                            re.append("(?:.*/)?");
                        } else {
                            re.append(".*");
                        }
                    } else {
                        re.append("[^/]*");
                    }
                }
                case '?' -> re.append("[^/]");
                case '[' -> {
                    int end = p.indexOf(']', i + 1);
                    if (end < 0) {
                        throw new IllegalArgumentException("pattern '" + p + "' has an unclosed [");
                    }
                    String cls = p.substring(i + 1, end);
                    if (cls.startsWith("^") || cls.startsWith("!")) {
                        cls = "^" + cls.substring(1);
                    }
                    re.append('[').append(cls.replace("\\", "\\\\")).append(']');
                    i = end;
                }
                case '\\' -> {
                    if (i + 1 < p.length()) {
                        re.append(Pattern.quote(String.valueOf(p.charAt(++i))));
                    }
                }
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return re.toString();
    }
}
