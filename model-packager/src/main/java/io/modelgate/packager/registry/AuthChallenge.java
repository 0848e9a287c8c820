package io.modelgate.packager.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One challenge of a {@code WWW-Authenticate} header (RFC 9110 section 11.6.1): a scheme and its parameters, e.g.
 * {@code Bearer realm="https://auth.example/token",service="registry.example",scope="repository:iris:pull"}.
 * One header may hold several challenges, separated by commas like the parameters themselves.
 */
record AuthChallenge(String scheme, Map<String, String> params) {

    AuthChallenge {
        scheme = scheme.toLowerCase(Locale.ROOT);
        params = Map.copyOf(params);
    }

    boolean isBasic() {
        return "basic".equals(scheme);
    }

    boolean isBearer() {
        return "bearer".equals(scheme);
    }

    String param(String name) {
        return params.get(name);
    }

    /** Parses every challenge of a header value; parameter names are lowercased, values unquoted. */
    static List<AuthChallenge> parse(String header) {
        List<AuthChallenge> out = new ArrayList<>();
        if (header == null) {
            return out;
        }
        Scanner s = new Scanner(header);
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        while (true) {
            s.skipSeparators();
            if (s.atEnd()) {
                break;
            }
            String token = s.token();
            if (token.isEmpty()) {
                s.pos++; // a character that is neither token nor separator: skip it rather than loop forever
                continue;
            }
            s.skipSpaces();
            if (s.peek() == '=' && scheme != null) {
                s.pos++;
                s.skipSpaces();
                params.put(token.toLowerCase(Locale.ROOT), s.value());
            } else {
                if (scheme != null) {
                    out.add(new AuthChallenge(scheme, params));
                }
                scheme = token;
                params = new LinkedHashMap<>();
            }
        }
        if (scheme != null) {
            out.add(new AuthChallenge(scheme, params));
        }
        return out;
    }

    private static final class Scanner {
        private final String text;
        private int pos;

        Scanner(String text) {
            this.text = text;
        }

        boolean atEnd() {
            return pos >= text.length();
        }

        char peek() {
            return atEnd() ? 0 : text.charAt(pos);
        }

        void skipSpaces() {
            while (!atEnd() && (peek() == ' ' || peek() == '\t')) {
                pos++;
            }
        }

        void skipSeparators() {
            while (!atEnd() && (peek() == ' ' || peek() == '\t' || peek() == ',')) {
                pos++;
            }
        }

        String token() {
            int start = pos;
            while (!atEnd() && isTokenChar(peek())) {
                pos++;
            }
            return text.substring(start, pos);
        }

        String value() {
            if (peek() != '"') {
                // Unquoted: RFC 9110 allows only a token, but be lenient with servers that send a bare URL.
                int start = pos;
                while (!atEnd() && peek() != ',' && peek() != ' ' && peek() != '\t') {
                    pos++;
                }
                return text.substring(start, pos);
            }
            pos++;
            StringBuilder b = new StringBuilder();
            while (!atEnd() && peek() != '"') {
                if (peek() == '\\' && pos + 1 < text.length()) {
                    pos++;
                }
                b.append(text.charAt(pos++));
            }
            pos++; // closing quote
            return b.toString();
        }

        private static boolean isTokenChar(char c) {
            return c > ' ' && c < 127 && "()<>@,;:\\\"/[]?={}".indexOf(c) < 0;
        }
    }
}
