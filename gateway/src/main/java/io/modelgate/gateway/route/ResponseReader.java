package io.modelgate.gateway.route;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ByteProcessor;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Reads HTTP/1.1 responses (RFC 9112) off raw buffers and hands out the body as slices of them, never copies; one
 * response at a time, {@link #reset} between responses on a kept-alive connection. Not thread-safe: it belongs to the
 * connection's event loop. The owner calls {@link #release} when the connection closes.
 */
final class ResponseReader {
    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final int MAX_CHUNK_LINE = 4096;
    private static final int MAX_CHUNK_HEX_DIGITS = 16;

    private static final boolean[] TCHAR = new boolean[128];

    static {
        for (char c = '0'; c <= '9'; c++) TCHAR[c] = true;
        for (char c = 'a'; c <= 'z'; c++) TCHAR[c] = true;
        for (char c = 'A'; c <= 'Z'; c++) TCHAR[c] = true;
        for (char c : "!#$%&'*+-.^_`|~".toCharArray()) TCHAR[c] = true;
    }

    private static final ByteProcessor IS_TCHAR = b -> b >= 0 && TCHAR[b];
    // HTAB and obs-text (bytes >= 0x80, negative here) are allowed in values; other controls would let a value
    // smuggle line structure into whatever the proxy writes next
    private static final ByteProcessor IS_FIELD_CHAR = b -> b < 0 || (b >= 0x20 && b != 0x7f) || b == '\t';

    private enum State { STATUS, HEADERS, LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_CR, CHUNK_LF, TRAILERS, UNTIL_CLOSE, DONE, FAILED }

    private final int maxHeadBytes;

    private State state;
    private boolean headRequest;
    private boolean started;
    private long remaining;

    // the head being read; the lists are reused, Head copies them
    private final List<String> names = new ArrayList<>();
    private final List<String> values = new ArrayList<>();
    private int status;
    private String reason;
    private boolean http11;
    private long declaredLength;
    private boolean transferEncoded;
    private String lastCoding;
    private String connection;
    private int sectionBytes; // of the head or the trailers so far, against maxHeadBytes

    // a line split across reads, gathered here; null until the first split line
    private ByteBuf pending;
    private boolean pendingHoldsLine;

    // the last line found by readLine: [lineStart, lineEnd) of lineSrc, terminator excluded
    private ByteBuf lineSrc;
    private int lineStart;
    private int lineEnd;
    private int lineBytes;

    ResponseReader(int maxHeadBytes) {
        if (maxHeadBytes < 16) {
            throw new IllegalArgumentException("maxHeadBytes " + maxHeadBytes + " cannot hold a status line");
        }
        this.maxHeadBytes = maxHeadBytes;
        reset(false);
    }

    void reset(boolean headRequest) {
        this.headRequest = headRequest;
        this.started = false;
        this.remaining = 0;
        clearHead();
        if (pending != null) {
            pending.clear();
        }
        pendingHoldsLine = false;
        lineSrc = null;
        state = State.STATUS;
    }

    /** Drops the buffer held for split lines; the reader must not be used afterwards. */
    void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
        pendingHoldsLine = false;
        lineSrc = null;
    }

    boolean complete() {
        return state == State.DONE;
    }

    /**
     * After a {@link ParseException} the connection's byte stream is out of step and must be closed; feeding again is
     * a programming error.
     */
    void feed(ByteBuf in, Listener listener) throws ParseException {
        if (state == State.FAILED) {
            throw new IllegalStateException("the response could not be read; close the connection");
        }
        if (state != State.DONE && in.isReadable()) {
            started = true;
        }
        try {
            while (step(in, listener)) {
                // each step consumes something or changes state; it returns false when it needs more bytes or is done
            }
        } catch (ParseException e) {
            state = State.FAILED;
            throw e;
        }
    }

    /** A reader that already threw has nothing to end, so it returns quietly here. */
    void closed(Listener listener) throws ParseException {
        switch (state) {
            case DONE, FAILED -> { }
            case UNTIL_CLOSE -> finish(listener);
            case STATUS -> {
                if (!started) {
                    state = State.FAILED;
                    throw new ParseException("the replica closed the connection before sending a response");
                }
                throw brokeOff("in the response head");
            }
            case HEADERS -> throw brokeOff("in the response head");
            case LENGTH -> throw brokeOff("with " + remaining + " body bytes still to come");
            default -> throw brokeOff("in the chunked body");
        }
    }

    private ParseException brokeOff(String where) {
        state = State.FAILED;
        return new ParseException("the response broke off " + where + ": the replica closed the connection");
    }

    private boolean step(ByteBuf in, Listener listener) throws ParseException {
        switch (state) {
            case STATUS -> {
                if (!readLine(in, maxHeadBytes, sectionBytes, "response head")) return false;
                sectionBytes += lineBytes;
                parseStatusLine();
                state = State.HEADERS;
                return true;
            }
            case HEADERS -> {
                if (!readLine(in, maxHeadBytes, sectionBytes, "response head")) return false;
                sectionBytes += lineBytes;
                if (lineStart == lineEnd) {
                    return endHead(listener);
                }
                parseField(true);
                return true;
            }
            case LENGTH, CHUNK_DATA -> {
                int n = (int) Math.min(remaining, in.readableBytes());
                if (n == 0) return false;
                remaining -= n;
                if (remaining == 0) {
                    state = state == State.LENGTH ? State.DONE : State.CHUNK_CR;
                }
                listener.content(in.readSlice(n));
                if (state == State.DONE) {
                    listener.last();
                    return false;
                }
                return true;
            }
            case CHUNK_CR -> {
                if (!in.isReadable()) return false;
                byte b = in.readByte();
                if (b == LF) {
                    state = State.CHUNK_SIZE;
                } else if (b == CR) {
                    state = State.CHUNK_LF;
                } else {
                    throw new ParseException("chunk data is not followed by CRLF (found 0x" + hex(b)
                            + "): the chunk size does not match its data");
                }
                return true;
            }
            case CHUNK_LF -> {
                if (!in.isReadable()) return false;
                byte b = in.readByte();
                if (b != LF) {
                    throw new ParseException("chunk data is followed by CR without LF (found 0x" + hex(b) + ")");
                }
                state = State.CHUNK_SIZE;
                return true;
            }
            case CHUNK_SIZE -> {
                if (!readLine(in, MAX_CHUNK_LINE, 0, "chunk-size line")) return false;
                long size = parseChunkSize();
                if (size == 0) {
                    state = State.TRAILERS;
                    sectionBytes = 0;
                } else {
                    remaining = size;
                    state = State.CHUNK_DATA;
                }
                return true;
            }
            case TRAILERS -> {
                if (!readLine(in, maxHeadBytes, sectionBytes, "trailer section")) return false;
                sectionBytes += lineBytes;
                if (lineStart == lineEnd) {
                    finish(listener);
                    return false;
                }
                parseField(false);
                return true;
            }
            case UNTIL_CLOSE -> {
                if (!in.isReadable()) return false;
                listener.content(in.readSlice(in.readableBytes()));
                return false;
            }
            default -> {
                return false; // DONE: what is left belongs to the next response
            }
        }
    }

    private void finish(Listener listener) {
        state = State.DONE;
        listener.last();
    }

    /**
     * Finds the next line, from {@code in} directly when it is whole there, otherwise gathering its pieces in
     * {@code pending}. {@code limit - used} bounds the line's bytes, terminator included.
     */
    private boolean readLine(ByteBuf in, int limit, int used, String what) throws ParseException {
        if (pendingHoldsLine) {
            pending.clear();
            pendingHoldsLine = false;
        }
        int buffered = pending == null ? 0 : pending.readableBytes();
        int room = limit - used - buffered;
        int from = in.readerIndex();
        int readable = in.readableBytes();
        int lf = room > 0 ? in.indexOf(from, from + Math.min(readable, room), LF) : -1;
        if (lf < 0) {
            if (readable > 0 && readable >= room) {
                throw new ParseException(what + " is longer than " + limit + " bytes");
            }
            if (readable > 0) {
                if (pending == null) {
                    pending = Unpooled.buffer(Math.min(256, limit));
                }
                pending.writeBytes(in);
            }
            return false;
        }
        int taken = lf + 1 - from;
        lineBytes = buffered + taken;
        if (buffered > 0) {
            pending.writeBytes(in, from, taken);
            pendingHoldsLine = true;
            lineSrc = pending;
            lineStart = pending.readerIndex();
            lineEnd = pending.writerIndex() - 1;
        } else {
            lineSrc = in;
            lineStart = from;
            lineEnd = lf;
        }
        in.readerIndex(lf + 1);
        if (lineEnd > lineStart && lineSrc.getByte(lineEnd - 1) == CR) {
            lineEnd--;
        }
        if (lineSrc.indexOf(lineStart, lineEnd, CR) >= 0) {
            throw new ParseException("bare CR inside a line of the " + what + ": '" + lineText() + "'");
        }
        return true;
    }

    private void parseStatusLine() throws ParseException {
        ByteBuf s = lineSrc;
        int p = lineStart;
        int len = lineEnd - lineStart;
        if (len < 9 || !startsWithHttp1(s, p) || (s.getByte(p + 7) != '1' && s.getByte(p + 7) != '0')
                || s.getByte(p + 8) != ' ') {
            throw new ParseException("status line '" + lineText() + "' is not HTTP/1.1 or HTTP/1.0");
        }
        http11 = s.getByte(p + 7) == '1';
        int code = 0;
        for (int i = p + 9; i < p + 12; i++) {
            byte b = i < lineEnd ? s.getByte(i) : 0;
            if (b < '0' || b > '9') {
                throw new ParseException("status line '" + lineText() + "' has no 3-digit status code");
            }
            code = code * 10 + (b - '0');
        }
        if (p + 12 < lineEnd && s.getByte(p + 12) != ' ') {
            throw new ParseException("status line '" + lineText() + "' has no 3-digit status code");
        }
        if (code < 100) {
            throw new ParseException("status code " + code + " in '" + lineText() + "' is below 100");
        }
        status = code;
        int reasonStart = Math.min(p + 13, lineEnd);
        if (s.forEachByte(reasonStart, lineEnd - reasonStart, IS_FIELD_CHAR) >= 0) {
            throw new ParseException("control character in the reason phrase of '" + lineText() + "'");
        }
        reason = s.toString(reasonStart, lineEnd - reasonStart, StandardCharsets.ISO_8859_1);
    }

    private static boolean startsWithHttp1(ByteBuf s, int p) {
        return s.getByte(p) == 'H' && s.getByte(p + 1) == 'T' && s.getByte(p + 2) == 'T' && s.getByte(p + 3) == 'P'
                && s.getByte(p + 4) == '/' && s.getByte(p + 5) == '1' && s.getByte(p + 6) == '.';
    }

    /** A header or trailer field; trailers are only checked, since nothing downstream uses them. */
    private void parseField(boolean keep) throws ParseException {
        ByteBuf s = lineSrc;
        byte first = s.getByte(lineStart);
        if (first == ' ' || first == '\t') {
            // obs-fold, RFC 9112 section 5.2: a proxy must not pass folded values on, and unfolding is not worth it
            throw new ParseException("folded header line (obs-fold) '" + lineText() + "' is not accepted");
        }
        int colon = s.indexOf(lineStart, lineEnd, (byte) ':');
        if (colon < 0) {
            throw new ParseException("header line '" + lineText() + "' has no colon");
        }
        if (colon == lineStart) {
            throw new ParseException("header line '" + lineText() + "' has an empty name");
        }
        int bad = s.forEachByte(lineStart, colon - lineStart, IS_TCHAR);
        if (bad >= 0) {
            byte b = s.getByte(bad);
            // RFC 9112 section 5.1: whitespace before the colon has been used to smuggle responses
            throw new ParseException(b == ' ' || b == '\t'
                    ? "whitespace between header name and colon in '" + lineText() + "'"
                    : "header name in '" + lineText() + "' has the invalid character 0x" + hex(b));
        }
        int vs = colon + 1;
        int ve = lineEnd;
        while (vs < ve && isOws(s.getByte(vs))) vs++;
        while (ve > vs && isOws(s.getByte(ve - 1))) ve--;
        if (s.forEachByte(vs, ve - vs, IS_FIELD_CHAR) >= 0) {
            throw new ParseException("control character in the value of header line '" + lineText() + "'");
        }
        if (!keep) {
            return;
        }
        String name = s.toString(lineStart, colon - lineStart, StandardCharsets.US_ASCII);
        String value = s.toString(vs, ve - vs, StandardCharsets.ISO_8859_1);
        names.add(name);
        values.add(value);
        if (name.equalsIgnoreCase("content-length")) {
            addContentLength(value);
        } else if (name.equalsIgnoreCase("transfer-encoding")) {
            transferEncoded = true;
            addCodings(value);
        } else if (name.equalsIgnoreCase("connection")) {
            connection = connection == null ? value : connection + "," + value;
        }
    }

    /**
     * RFC 9112 section 6.3: a list of equal values stands for one, anything else is refused even where the framing
     * would not use it, since a replica that sends it cannot be trusted to frame its responses.
     */
    private void addContentLength(String value) throws ParseException {
        int i = 0;
        int n = value.length();
        do {
            int end = value.indexOf(',', i);
            if (end < 0) end = n;
            int a = i;
            int b = end;
            while (a < b && isOws((byte) value.charAt(a))) a++;
            while (b > a && isOws((byte) value.charAt(b - 1))) b--;
            if (a == b) {
                throw new ParseException("Content-Length '" + value + "' has an empty value");
            }
            long v = 0;
            for (int k = a; k < b; k++) {
                char c = value.charAt(k);
                if (c < '0' || c > '9') {
                    throw new ParseException("Content-Length '" + value + "' is not a number");
                }
                if (v > (Long.MAX_VALUE - (c - '0')) / 10) {
                    throw new ParseException("Content-Length '" + value + "' is too large");
                }
                v = v * 10 + (c - '0');
            }
            if (declaredLength >= 0 && declaredLength != v) {
                throw new ParseException("differing Content-Length values " + declaredLength + " and " + v);
            }
            declaredLength = v;
            i = end + 1;
        } while (i <= n);
    }

    /** Keeps the last non-empty coding, the one that decides the framing; empty list elements do not count. */
    private void addCodings(String value) {
        int end = value.length();
        while (end > 0) {
            int comma = value.lastIndexOf(',', end - 1);
            int a = comma + 1;
            int b = end;
            while (a < b && isOws((byte) value.charAt(a))) a++;
            while (b > a && isOws((byte) value.charAt(b - 1))) b--;
            if (a < b) {
                lastCoding = value.substring(a, b);
                return;
            }
            end = comma < 0 ? 0 : comma;
        }
    }

    private boolean endHead(Listener listener) throws ParseException {
        if (status == 101) {
            throw new ParseException("101 Switching Protocols: upgrades are not proxied on this path");
        }
        if (status < 200) {
            clearHead(); // an interim response: the final one follows
            state = State.STATUS;
            return true;
        }
        Framing framing;
        if (headRequest || status == 204 || status == 304) {
            framing = Framing.NONE;
        } else if (transferEncoded) {
            // RFC 9112 section 6.3: Transfer-Encoding overrides Content-Length; only a final chunked delimits
            framing = "chunked".equalsIgnoreCase(lastCoding) ? Framing.CHUNKED : Framing.UNTIL_CLOSE;
        } else if (declaredLength >= 0) {
            framing = Framing.LENGTH;
        } else {
            framing = Framing.UNTIL_CLOSE;
        }
        Head head = new Head(status, reason, http11, names, values,
                framing == Framing.LENGTH ? declaredLength : -1, framing, connection);
        switch (framing) {
            case NONE -> state = State.DONE;
            case LENGTH -> {
                remaining = declaredLength;
                state = remaining == 0 ? State.DONE : State.LENGTH;
            }
            case CHUNKED -> state = State.CHUNK_SIZE;
            case UNTIL_CLOSE -> state = State.UNTIL_CLOSE;
        }
        clearHead();
        listener.head(head);
        if (state == State.DONE) {
            listener.last();
            return false;
        }
        return true;
    }

    private void clearHead() {
        names.clear();
        values.clear();
        status = 0;
        reason = null;
        http11 = false;
        declaredLength = -1;
        transferEncoded = false;
        lastCoding = null;
        connection = null;
        sectionBytes = 0;
    }

    /** RFC 9112 section 7.1: chunk-size [ BWS ";" extensions ]; the extensions mean nothing to a proxy. */
    private long parseChunkSize() throws ParseException {
        ByteBuf s = lineSrc;
        long size = 0;
        int i = lineStart;
        while (i < lineEnd) {
            int d = hexValue(s.getByte(i));
            if (d < 0) break;
            if (i - lineStart == MAX_CHUNK_HEX_DIGITS || size > (Long.MAX_VALUE >>> 4)) {
                throw new ParseException("chunk size '" + lineText() + "' is too large");
            }
            size = (size << 4) | d;
            i++;
        }
        if (i == lineStart) {
            throw new ParseException("chunk-size line '" + lineText() + "' does not start with a hex chunk size");
        }
        while (i < lineEnd && isOws(s.getByte(i))) i++;
        if (i < lineEnd && s.getByte(i) != ';') {
            throw new ParseException("chunk-size line '" + lineText() + "' has a chunk size that is not hex");
        }
        return size;
    }

    private static int hexValue(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }

    private static boolean isOws(byte b) {
        return b == ' ' || b == '\t';
    }

    private static String hex(byte b) {
        return String.format("%02x", b & 0xff);
    }

    /** The current line for an error message: bounded, and with control characters made visible. */
    private String lineText() {
        int len = Math.min(lineEnd - lineStart, 120);
        StringBuilder sb = new StringBuilder(len + 3);
        for (int i = lineStart; i < lineStart + len; i++) {
            int c = lineSrc.getByte(i) & 0xff;
            if (c < 0x20 || c == 0x7f) {
                sb.append("\\x").append(hex((byte) c));
            } else {
                sb.append((char) c);
            }
        }
        return len < lineEnd - lineStart ? sb.append("...").toString() : sb.toString();
    }

    /** Receives one response's parts in order: head, content (zero or more times), last. */
    interface Listener {
        /** The final response head; interim 1xx responses are read and dropped. */
        void head(Head head);

        /** Body data, de-chunked, never empty; a slice valid during the call only, so retain() it to keep it. */
        void content(ByteBuf data);

        /** The response ended. */
        void last();
    }

    /**
     * A response head: fields in order with names as sent and values trimmed; {@code contentLength} only when the
     * framing is {@link Framing#LENGTH}, else -1; {@code connection} the Connection values joined with "," or null.
     */
    record Head(int status, String reason, boolean http11, List<String> names, List<String> values,
                long contentLength, Framing framing, String connection) {
        Head {
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(framing, "framing");
            if (names.size() != values.size()) {
                throw new IllegalArgumentException(names.size() + " header names for " + values.size() + " values");
            }
            names = List.copyOf(names);
            values = List.copyOf(values);
        }
    }

    /** How the body is delimited (RFC 9112 section 6.3). */
    enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    /** The replica's bytes are not a response this reader accepts; the connection must be closed. */
    static final class ParseException extends java.io.IOException {
        private static final long serialVersionUID = 1L;

        ParseException(String message) {
            super(message);
        }
    }
}
