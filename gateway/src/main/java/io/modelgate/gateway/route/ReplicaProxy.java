package io.modelgate.gateway.route;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpHeadersFactory;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.Context;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.impl.ContextInternal;
import io.vertx.core.impl.VertxInternal;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * One proxied HTTP exchange with a replica over keep-alive HTTP/1.1 connections, streamed both ways: the answer is
 * written to the caller piece by piece as the replica sends it (chunked and server-sent events pass unbuffered), and a
 * request body larger than {@link Settings#replayableBody()} (or without a length) is passed to the replica as it
 * arrives, with back-pressure both ways. Headers pass except the hop-by-hop ones (RFC 9110 section 7.6.1).
 *
 * <p>The replica side is Netty directly, not an HTTP client library: each event loop has its own connections
 * ({@link ReplicaConnections}), so a call taken on a loop borrows only that loop's connections, its answer needs no hop
 * to another thread, and its deadline is checked by the loop's sweep rather than a timer of its own. A call that
 * waited for a replica on a worker hops back to its loop first.
 */
final class ReplicaProxy {
    static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
    static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
    static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
    private static final AsciiString HTTP = AsciiString.cached("http");
    private static final AsciiString HTTPS = AsciiString.cached("https");

    /**
     * How the proxy talks to replicas.
     *
     * @param timeout        how long a replica may take to start answering, and may stay silent while answering,
     *                       unless the model's deployment sets its own
     * @param connectionWait how long a call may wait for a pooled connection when all are busy (then 503)
     * @param replayableBody request bodies up to this size with a Content-Length are held, so a request that met a
     *                       connection the replica had just closed can be sent again on a fresh one; larger ones stream
     * @param maxBody        the largest request body passed on (modelgate.inference.max-body-bytes): a larger
     *                       Content-Length is refused before a replica is chosen, a streamed body is cut off (413)
     *                       once it passes this
     */
    record Settings(Duration timeout, Duration connectionWait, int replayableBody, int connectionsPerReplica,
                    long maxBody) {
        Settings {
            if (maxBody < 1) {
                throw new IllegalArgumentException("modelgate.inference.max-body-bytes must be at least 1, got " + maxBody);
            }
            if (timeout.isNegative() || timeout.isZero() || connectionWait.isNegative() || connectionWait.isZero()) {
                throw new IllegalArgumentException("modelgate.inference timeouts must be positive, got timeout="
                        + timeout + ", connection-wait=" + connectionWait);
            }
            if (connectionsPerReplica < 1) {
                throw new IllegalArgumentException("modelgate.inference.connections-per-replica must be at least 1, got "
                        + connectionsPerReplica);
            }
        }
    }

    /**
     * How an exchange ended when it did not fail: the answer was passed on, no pooled connection came free, or the
     * caller's streamed body grew past {@link Settings#maxBody()} (the call to the replica was reset, unanswered).
     */
    enum Exchange { ANSWERED, NO_CONNECTION, BODY_TOO_LARGE }

    /** The replica broke off after its answer had begun: the caller's connection is reset, nothing else can be said. */
    static final class BrokeOffException extends IOException {
        BrokeOffException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    static final int CONNECT_TIMEOUT_MS = 2_000;
    /** Below the replicas' idle close (the JDK server's 30 s), so a pooled connection is rarely reused as it closes. */
    static final long KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final Settings settings;
    private final ChannelFactory<? extends Channel> channels;
    /** Each event loop's own connections (only that loop's thread reaches its entry). */
    private final ThreadLocal<ReplicaConnections> loops;

    ReplicaProxy(Vertx vertx, Settings settings) {
        this.settings = settings;
        this.channels = ((VertxInternal) vertx).transport().channelFactory(false);
        this.loops = ThreadLocal.withInitial(() -> new ReplicaConnections(
                ((ContextInternal) Vertx.currentContext()).nettyEventLoop(), channels,
                settings.connectionsPerReplica(), CONNECT_TIMEOUT_MS, KEEP_ALIVE_NANOS, true));
    }

    Settings settings() {
        return settings;
    }

    /**
     * One call on behalf of {@code request}: the request's body (already read into {@code body}, or still unread in
     * the paused request when null) goes to {@code path} on the replica and the answer is written to the request's
     * response. The stage fails with {@link ReplicaCall.NotReachedException} when the request never reached the
     * replica, so the router may try another one; it completes once the answer has been passed on entirely.
     */
    CompletionStage<Exchange> forward(Context loop, HttpServerRequest request, Origin origin, Buffer body,
                                      Endpoint endpoint, String path, Duration timeout, boolean stripAuthorization) {
        Call call = new Call(request, origin, body, endpoint, path, timeout, stripAuthorization);
        if (Vertx.currentContext() == loop) {
            call.start();
        } else {
            loop.runOnContext(v -> call.start());
        }
        return call.done;
    }

    /**
     * Where the caller's request came from, for the X-Forwarded-* headers: read once, before any call edits the
     * request's headers, so a second replica tried for the same request is told the same.
     */
    record Origin(String host, String forwardedFor, boolean ssl) {
        /**
         * From the connection and the raw Host header: a router's request wrapper parses Forwarded headers for its
         * scheme(), authority() and remoteAddress(), which this proxy neither trusts nor needs.
         */
        static Origin of(HttpServerRequest request) {
            HttpConnection caller = request.connection();
            return of(request.headers().get(HttpHeaderNames.HOST), request.headers().get(X_FORWARDED_FOR),
                    caller.remoteAddress() == null ? null : caller.remoteAddress().hostAddress(), caller.isSsl());
        }

        /** From the Host and X-Forwarded-For headers as they came and the caller's address ({@code peer}, or null). */
        static Origin of(String host, String forwardedFor, String peer, boolean ssl) {
            return new Origin(host, peer == null ? null : forwardedFor == null ? peer : forwardedFor + ", " + peer, ssl);
        }
    }

    /**
     * One exchange, on the caller's event loop from start to end. The replica's silence is bounded by the timeout
     * from the moment the request goes out; each piece of the answer, and each piece of a streamed request body,
     * moves the deadline on.
     */
    private final class Call extends ReplicaExchange {
        final HttpServerRequest request;
        final HttpServerResponse out;
        final Buffer body;
        final String path;
        final boolean stripAuthorization;
        final Origin origin;
        /** A streamed body: bytes seen, whether it passed the limit, whether all of it went out. */
        long seen;
        boolean over;
        boolean requestSent;
        /** The answer: a 1xx being skipped, whether the connection stays open after, the small answer gathered. */
        boolean informational;
        boolean keepAlive;
        Buffer gathered;
        HttpResponse answerHead;
        /** The answer's Connection header: whether the connection stays, and which headers are for it alone. */
        String answerConnection;
        /** What goes to the replica as request headers, once made. */
        HttpHeaders headers;

        Call(HttpServerRequest request, Origin origin, Buffer body, Endpoint endpoint, String path, Duration timeout,
             boolean stripAuthorization) {
            super(endpoint, timeout, settings.connectionWait());
            this.origin = origin;
            this.request = request;
            this.out = request.response();
            this.body = body;
            this.path = path;
            this.stripAuthorization = stripAuthorization;
        }

        void start() {
            start(loops.get());
        }

        @Override
        void connected(ReplicaConnections.Connection connection, boolean reused) {
            if (!take(connection, reused)) {
                return;
            }
            Channel channel = connection.channel;
            HttpHeaders headers = requestHeaders();
            DefaultHttpRequest head;
            if (body != null) {
                // the whole body at hand (held, so it can be sent again): one write
                if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)) { // else the caller's, which the body matched
                    headers.set(HttpHeaderNames.CONTENT_LENGTH, body.length());
                }
                head = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, method(), path, body.getByteBuf(), headers,
                        EmptyHttpHeaders.INSTANCE);
                requestSent = true;
            } else {
                if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                    headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
                }
                head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, method(), path, headers);
            }
            connections.watch(this, System.nanoTime() + timeoutNanos);
            out.closeHandler(v -> {
                // the caller hung up: the replica's work and the connection are not held for nobody
                if (state != State.OVER) {
                    end();
                    channel.close();
                    done.completeExceptionally(new IOException("the caller went away before replica "
                            + endpoint.id() + " had answered"));
                }
            });
            channel.writeAndFlush(head, channel.voidPromise());
            if (body == null) {
                streamBody(channel);
            }
        }

        /** The caller's body, piece by piece as it arrives, until its end or until it passes the limit. */
        private void streamBody(Channel channel) {
            request.exceptionHandler(e -> {
                if (state != State.OVER) {
                    channel.close(); // the caller went away mid-body: the replica must not take it as complete
                }
            });
            request.handler(piece -> {
                if (over || state == State.OVER) {
                    return;
                }
                seen += piece.length();
                if (seen > settings.maxBody()) {
                    // past the limit nothing more may reach the replica, nor an end that would make it look
                    // complete: its connection is closed, and the caller answered 413 (once the replica has
                    // answered, the rest of the body is drained under the same limit, see content())
                    over = true;
                    request.pause();
                    channel.close();
                    return;
                }
                deadline = System.nanoTime() + timeoutNanos;
                channel.writeAndFlush(new DefaultHttpContent(piece.getByteBuf()), channel.voidPromise());
                if (!channel.isWritable()) {
                    request.pause();
                }
            });
            request.endHandler(v -> {
                if (!over && state != State.OVER) {
                    requestSent = true;
                    channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, channel.voidPromise());
                }
            });
            request.resume();
        }

        @Override
        void writability(boolean writable) {
            if (writable && !over && !requestSent && state != State.OVER) {
                request.resume();
            }
        }

        @Override
        void read(Object piece) {
            try {
                if (state == State.OVER) {
                    return;
                }
                if (piece instanceof HttpResponse head) {
                    head(head);
                }
                if (piece instanceof HttpContent content && state == State.ANSWERING) {
                    content(content);
                } else if (piece instanceof LastHttpContent && informational) {
                    informational = false; // the end of a 1xx: the real answer follows
                }
            } finally {
                ReferenceCountUtil.release(piece);
            }
        }

        private void head(HttpResponse in) {
            int status = in.status().code();
            if (status < 200 && status != 101) {
                informational = true;
                return;
            }
            if (out.closed()) {
                end();
                connection.channel.close();
                done.completeExceptionally(new IOException("the caller went away before replica " + endpoint.id()
                        + " answered"));
                return;
            }
            state = State.ANSWERING;
            deadline = System.nanoTime() + timeoutNanos;
            long length = -1;
            for (Iterator<Map.Entry<String, String>> it = in.headers().iteratorAsString(); it.hasNext(); ) {
                Map.Entry<String, String> h = it.next();
                String name = h.getKey();
                if (name.length() == 14 && name.equalsIgnoreCase("content-length")) {
                    length = contentLength(h.getValue());
                } else if (name.length() == 10 && name.equalsIgnoreCase("connection")) {
                    answerConnection = answerConnection == null ? h.getValue() : answerConnection + "," + h.getValue();
                }
            }
            keepAlive = answerConnection == null ? in.protocolVersion().isKeepAliveDefault()
                    : !names(answerConnection, "close")
                    && (in.protocolVersion().isKeepAliveDefault() || names(answerConnection, "keep-alive"));
            if (length >= 0 && length <= settings.replayableBody()) {
                // a small answer of known length (an inference result): gathered, then head and body in one write;
                // until then nothing is written, so an answer that breaks off can still be answered 502
                gathered = Buffer.buffer((int) length);
                answerHead = in;
                return;
            }
            writeHead(in);
            if (length < 0) {
                out.setChunked(true); // streamed (SSE, chunked): each piece goes out as it comes
            }
        }

        private void writeHead(HttpResponse in) {
            int status = in.status().code();
            out.setStatusCode(status);
            String reason = in.status().reasonPhrase();
            if (!reason.equals(HttpResponseStatus.valueOf(status).reasonPhrase())) {
                out.setStatusMessage(reason); // a custom reason phrase; the standard one is the server's own default
            }
            for (Iterator<Map.Entry<String, String>> it = in.headers().iteratorAsString(); it.hasNext(); ) {
                Map.Entry<String, String> h = it.next();
                if (!dropped(h.getKey(), answerConnection)) {
                    out.headers().add(h.getKey(), h.getValue());
                }
            }
            if (endpoint.revision() > 0) {
                out.putHeader(Router.REVISION_HEADER, Integer.toString(endpoint.revision()));
            }
        }

        private void content(HttpContent piece) {
            ByteBuf bytes = piece.content();
            deadline = System.nanoTime() + timeoutNanos; // each piece of the answer moves the deadline on
            if (bytes.isReadable() && gathered != null) {
                gathered.appendBytes(ByteBufUtil.getBytes(bytes));
            } else if (bytes.isReadable()) {
                out.write(Buffer.buffer(ByteBufUtil.getBytes(bytes)));
                if (out.writeQueueFull()) {
                    // the caller reads slower than the replica sends: stop reading the replica until it drains
                    // (meanwhile the replica is not silent, the caller is slow: no timeout)
                    Channel channel = connection.channel;
                    channel.config().setAutoRead(false);
                    heldBack = true;
                    out.drainHandler(v -> {
                        heldBack = false;
                        deadline = System.nanoTime() + timeoutNanos;
                        channel.config().setAutoRead(true);
                    });
                }
            }
            if (piece instanceof LastHttpContent) {
                ReplicaConnections.Connection used = connection;
                end();
                if (gathered != null) {
                    writeHead(answerHead);
                    out.end(gathered);
                } else {
                    out.end();
                }
                // a connection whose request body is still on its way cannot carry another call
                used.release(keepAlive && requestSent);
                if (!requestSent && !over) {
                    // the rest of the caller's body is read and dropped, still within the limit
                    request.handler(rest -> {
                        seen += rest.length();
                        if (seen > settings.maxBody()) {
                            request.connection().close();
                        }
                    });
                    request.resume();
                }
                done.complete(Exchange.ANSWERED);
            }
        }

        @Override
        void lost(Throwable cause) {
            connectionLost(cause, over, body != null);
        }

        /** Once part of the answer went out the caller's connection is reset; before that the caller gets a 502. */
        @Override
        void answerBrokeOff() {
            if (out.headWritten() && !out.ended()) {
                out.reset();
            }
        }

        private io.netty.handler.codec.http.HttpMethod method() {
            return io.netty.handler.codec.http.HttpMethod.valueOf(request.method().name());
        }

        /** Whether a caller's header goes on to the replica: end-to-end, and not the token the gateway checked. */
        private boolean passes(String name, String connectionHeader) {
            return !dropped(name, connectionHeader) && !(stripAuthorization && name.equalsIgnoreCase("authorization"));
        }

        /**
         * The headers for the replica: the caller's end-to-end ones, the replica's Host, and X-Forwarded-For/-Proto/-Host.
         * An HTTP/1.x request's own decoded headers are edited in place and sent (no copy per call): what the
         * gateway still needs from them was read before ({@link Origin}), and the edits give the same result when a
         * request is passed on again, to this replica or another.
         */
        private HttpHeaders requestHeaders() {
            if (headers != null) {
                return headers;
            }
            MultiMap from = request.headers();
            String connectionHeader = from.get(HttpHeaderNames.CONNECTION);
            if (from instanceof HttpHeaders decoded) {
                // one pass to find what must go (usually nothing: Host is replaced below, not removed)
                List<String> drop = null;
                for (Map.Entry<String, String> h : from) {
                    String name = h.getKey();
                    if (!passes(name, connectionHeader) && !name.equalsIgnoreCase("host")) {
                        if (drop == null) {
                            drop = new ArrayList<>(4);
                        }
                        drop.add(name);
                    }
                }
                if (drop != null) {
                    drop.forEach(decoded::remove);
                }
                headers = decoded;
            } else {
                headers = DefaultHttpHeadersFactory.headersFactory().withValidation(false).newHeaders();
                for (Map.Entry<String, String> h : from) {
                    if (passes(h.getKey(), connectionHeader)) {
                        headers.add(h.getKey(), h.getValue());
                    }
                }
            }
            headers.set(HttpHeaderNames.HOST, endpoint.base().getRawAuthority());
            headers.set(X_FORWARDED_PROTO, origin.ssl() ? HTTPS : HTTP);
            if (origin.host() != null) {
                headers.set(X_FORWARDED_HOST, origin.host());
            }
            if (origin.forwardedFor() != null) {
                headers.set(X_FORWARDED_FOR, origin.forwardedFor());
            }
            return headers;
        }
    }

    /** A Content-Length header's value, or -1 when it is missing or not a number. */
    static long contentLength(String contentLength) {
        if (contentLength == null) {
            return -1;
        }
        try {
            return Long.parseLong(contentLength.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** A hop-by-hop header (RFC 9110 section 7.6.1), or one the message's Connection header names. */
    static boolean dropped(CharSequence name, String connectionHeader) {
        return hopByHop(name) || (connectionHeader != null && names(connectionHeader, name));
    }

    /**
     * Meaningful only for one connection, never forwarded (RFC 9110 section 7.6.1), plus Host (set per replica) and
     * Expect (the gateway answers 100-continue to the caller itself); by length first, as this is asked of every header of every call.
     */
    private static boolean hopByHop(CharSequence name) {
        return switch (name.length()) {
            case 2 -> is(name, "te");
            case 4 -> is(name, "host");
            case 6 -> is(name, "expect");
            case 7 -> is(name, "upgrade") || is(name, "trailer");
            case 10 -> is(name, "connection") || is(name, "keep-alive");
            case 16 -> is(name, "proxy-connection");
            case 17 -> is(name, "transfer-encoding");
            default -> false;
        };
    }

    static boolean is(CharSequence name, String lowerCase) {
        return AsciiString.contentEqualsIgnoreCase(name, lowerCase);
    }

    static boolean names(String connectionHeader, CharSequence name) {
        String wanted = name.toString();
        for (String token : connectionHeader.split(",")) {
            if (is(token.trim(), wanted)) {
                return true;
            }
        }
        return false;
    }
}
