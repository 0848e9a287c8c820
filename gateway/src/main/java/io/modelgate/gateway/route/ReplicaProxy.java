package io.modelgate.gateway.route;

import io.netty.handler.codec.http.HttpResponseStatus;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.streams.ReadStream;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;

/**
 * One proxied HTTP exchange with a replica over a Vert.x keep-alive HTTP/1.1 pool, streamed both ways: the answer is
 * written to the caller piece by piece as the replica sends it (chunked and server-sent events pass unbuffered), and a
 * request body larger than {@link Settings#replayableBody()} (or without a length) is piped to the replica as it
 * arrives. Headers pass except the hop-by-hop ones (RFC 9110 section 7.6.1).
 *
 * <p>Each event loop has its own client, so a call taken on a loop borrows only that loop's connections and its
 * answer needs no hop to another thread; a call that waited for a replica on a worker hops back to its loop first.
 */
final class ReplicaProxy {
    /** RFC 9110 section 7.6.1: meaningful only for one connection, never forwarded (plus Host, set per replica). */
    private static final Set<String> HOP_BY_HOP = caseInsensitive("connection", "keep-alive", "proxy-connection",
            "te", "transfer-encoding", "upgrade", "host", "expect", "trailer");

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

    private static final int CONNECT_TIMEOUT_MS = 2_000;
    /** Below the replicas' idle close (the JDK server's 30 s), so a pooled connection is rarely reused as it closes. */
    private static final int KEEP_ALIVE_SECONDS = 20;

    private final Vertx vertx;
    private final Settings settings;
    private final ThreadLocal<Loop> loops;

    ReplicaProxy(Vertx vertx, Settings settings) {
        this.vertx = vertx;
        this.settings = settings;
        this.loops = ThreadLocal.withInitial(Loop::new);
    }

    Settings settings() {
        return settings;
    }

    /** One event loop's client and the connections of it that have answered before (only that loop touches them). */
    private final class Loop {
        final HttpClient client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1)
                        .setKeepAlive(true).setKeepAliveTimeout(KEEP_ALIVE_SECONDS).setPipelining(false)
                        .setConnectTimeout(CONNECT_TIMEOUT_MS).setTcpNoDelay(true).setDecompressionSupported(false),
                new PoolOptions().setHttp1MaxSize(settings.connectionsPerReplica()));
        final Set<HttpConnection> used = Collections.newSetFromMap(new WeakHashMap<>());
    }

    /**
     * One call on behalf of {@code request}: the request's body (already read into {@code body}, or still unread in
     * the paused request when null) goes to {@code path} on the replica and the answer is written to the request's
     * response. The stage fails with {@link ReplicaCall.NotReachedException} when the request never reached the
     * replica, so the router may try another one; it completes once the answer has been passed on entirely.
     */
    CompletionStage<Exchange> forward(Context loop, HttpServerRequest request, Buffer body, Endpoint endpoint,
                                      String path, Duration timeout, boolean stripAuthorization) {
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        if (Vertx.currentContext() == loop) {
            send(request, body, endpoint, path, timeout, stripAuthorization, false, done);
        } else {
            loop.runOnContext(v -> send(request, body, endpoint, path, timeout, stripAuthorization, false, done));
        }
        return done;
    }

    private void send(HttpServerRequest request, Buffer body, Endpoint endpoint, String path, Duration timeout,
                      boolean stripAuthorization, boolean again, CompletableFuture<Exchange> done) {
        Loop loop = loops.get();
        URI base = endpoint.base();
        RequestOptions options = new RequestOptions().setMethod(request.method()).setHost(base.getHost())
                .setPort(base.getPort() == -1 ? 80 : base.getPort()).setURI(path)
                .setIdleTimeout(timeout.toMillis()).setConnectTimeout(settings.connectionWait().toMillis());
        MultiMap headers = options.getHeaders() == null ? HttpHeaders.headers() : options.getHeaders();
        copyHeaders(request.headers(), headers, stripAuthorization);
        // from the connection and the raw Host header: the router's scheme() and authority() parse Forwarded
        // headers on every call, which this proxy neither trusts nor needs
        headers.set("X-Forwarded-Proto", request.isSSL() ? "https" : "http");
        String host = request.getHeader(HttpHeaders.HOST);
        if (host != null) {
            headers.set("X-Forwarded-Host", host);
        }
        String peer = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        if (peer != null) {
            String before = request.getHeader("X-Forwarded-For");
            headers.set("X-Forwarded-For", before == null ? peer : before + ", " + peer);
        }
        options.setHeaders(headers);
        loop.client.request(options).onComplete(got -> {
            if (got.failed()) {
                Throwable e = got.cause();
                if (e instanceof TimeoutException) {
                    // every pooled connection to this replica stayed busy: the replica is at capacity, not broken
                    done.complete(Exchange.NO_CONNECTION);
                } else {
                    done.completeExceptionally(new ReplicaCall.NotReachedException("cannot connect to replica "
                            + endpoint.id() + " at " + base.getHost() + ":" + options.getPort() + ": " + e.getMessage(), e));
                }
                return;
            }
            HttpClientRequest call = got.result();
            HttpConnection connection = call.connection();
            boolean reused = loop.used.contains(connection);
            Future<HttpClientResponse> answer;
            LimitedBody streamed = null;
            if (body != null) {
                answer = call.send(body);
            } else {
                HttpServerResponse out = request.response();
                out.exceptionHandler(e -> call.reset(0, e));
                // past the limit nothing more may reach the replica, nor an end that would make it look complete:
                // the call is reset (and the caller answered 413). If the replica had answered already, the
                // caller's connection is closed: its unread rest cannot be skipped
                streamed = new LimitedBody(request, settings.maxBody(), () -> {
                    call.reset();
                    if (out.ended()) {
                        request.connection().close();
                    }
                });
                answer = call.send(streamed);
            }
            LimitedBody limited = streamed;
            answer.onComplete(response -> {
                if (response.failed()) {
                    Throwable e = response.cause();
                    if (limited != null && limited.over) {
                        done.complete(Exchange.BODY_TOO_LARGE);
                        return;
                    }
                    if (!again && reused && body != null && !(e instanceof TimeoutException)) {
                        // a kept-alive connection the replica closed as we reused it: the replica never took the
                        // request (no answer, nothing processed), so it is sent once more on another connection
                        send(request, body, endpoint, path, timeout, stripAuthorization, true, done);
                        return;
                    }
                    done.completeExceptionally(e instanceof TimeoutException t ? t
                            : new IOException("replica " + endpoint.id() + " closed the connection before answering: "
                            + e.getMessage(), e));
                    return;
                }
                relay(loop, call, connection, response.result(), request.response(), endpoint, done);
            });
        });
    }

    private void relay(Loop loop, HttpClientRequest call, HttpConnection connection, HttpClientResponse in,
                       HttpServerResponse out, Endpoint endpoint, CompletableFuture<Exchange> done) {
        if (out.closed()) {
            call.reset();
            done.completeExceptionally(new IOException("the caller went away before replica " + endpoint.id() + " answered"));
            return;
        }
        out.setStatusCode(in.statusCode());
        String reason = in.statusMessage();
        if (reason != null && !reason.equals(HttpResponseStatus.valueOf(in.statusCode()).reasonPhrase())) {
            out.setStatusMessage(reason); // a custom reason phrase; the standard one is the server's own default
        }
        copyHeaders(in.headers(), out.headers(), false);
        if (endpoint.revision() > 0) {
            out.putHeader(Router.REVISION_HEADER, Integer.toString(endpoint.revision()));
        }
        long length = contentLength(in.getHeader(HttpHeaders.CONTENT_LENGTH));
        if (length >= 0 && length <= settings.replayableBody()) {
            // a small answer of known length (an inference result): one write, head and body together
            in.body().onComplete(read -> {
                if (read.succeeded()) {
                    loop.used.add(connection);
                    out.end(read.result());
                    done.complete(Exchange.ANSWERED);
                } else {
                    out.reset();
                    done.completeExceptionally(new BrokeOffException("replica " + endpoint.id()
                            + " broke off its answer: " + read.cause().getMessage(), read.cause()));
                }
            });
            return;
        }
        if (length < 0) {
            out.setChunked(true); // streamed (SSE, chunked): each piece goes out as it comes
        }
        out.closeHandler(v -> call.reset());
        in.pipe().endOnFailure(false).to(out).onComplete(piped -> {
            if (piped.succeeded()) {
                loop.used.add(connection);
                done.complete(Exchange.ANSWERED);
            } else {
                call.reset();
                if (!out.ended()) {
                    out.reset(); // a cut answer must not look complete to the caller
                }
                done.completeExceptionally(new BrokeOffException("replica " + endpoint.id()
                        + " broke off its answer: " + piped.cause().getMessage(), piped.cause()));
            }
        });
    }

    /**
     * The caller's body as it arrives, until more than {@code max} bytes came: then it stops reading and calls
     * {@code exceeded} instead of passing the piece on.
     */
    private static final class LimitedBody implements ReadStream<Buffer> {
        private final HttpServerRequest in;
        private final long max;
        private final Runnable exceeded;
        private long seen;
        private boolean over;

        LimitedBody(HttpServerRequest in, long max, Runnable exceeded) {
            this.in = in;
            this.max = max;
            this.exceeded = exceeded;
        }

        @Override
        public ReadStream<Buffer> handler(Handler<Buffer> handler) {
            in.handler(handler == null ? null : piece -> {
                if (over) {
                    return;
                }
                seen += piece.length();
                if (seen > max) {
                    over = true;
                    in.pause();
                    exceeded.run();
                } else {
                    handler.handle(piece);
                }
            });
            return this;
        }

        @Override
        public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            in.exceptionHandler(handler);
            return this;
        }

        @Override
        public ReadStream<Buffer> endHandler(Handler<Void> handler) {
            in.endHandler(handler == null ? null : v -> {
                if (!over) {
                    handler.handle(v);
                }
            });
            return this;
        }

        @Override
        public ReadStream<Buffer> pause() {
            in.pause();
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            if (!over) {
                in.resume();
            }
            return this;
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            if (!over) {
                in.fetch(amount);
            }
            return this;
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

    /** Copies end-to-end headers: drops hop-by-hop ones and those the Connection header names. */
    private static void copyHeaders(MultiMap from, MultiMap to, boolean stripAuthorization) {
        String connection = from.get(HttpHeaders.CONNECTION);
        for (Map.Entry<String, String> h : from) {
            String name = h.getKey();
            if (HOP_BY_HOP.contains(name) || (stripAuthorization && name.equalsIgnoreCase("authorization"))
                    || (connection != null && names(connection, name))) {
                continue;
            }
            to.add(h.getKey(), h.getValue());
        }
    }

    private static Set<String> caseInsensitive(String... names) {
        Set<String> set = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        set.addAll(Arrays.asList(names));
        return Collections.unmodifiableSet(set);
    }

    private static boolean names(String connectionHeader, String name) {
        for (String token : connectionHeader.split(",")) {
            if (token.trim().equalsIgnoreCase(name)) {
                return true;
            }
        }
        return false;
    }
}
