package io.modelgate.gateway.route;

import io.modelgate.gateway.problem.Problem;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The inference port's HTTP/1.1 server: Netty on the gateway's own event loops, without Vert.x's request and response
 * objects or Netty's response codecs. A request is decoded by Netty's {@link HttpRequestDecoder} (which enforces the
 * message syntax, the line and header limits and the framing rules), checked and routed as on the main port
 * ({@link InferenceRoutes#target}, {@link InferenceRoutes#outcome}), and passed on by a {@link ForwardedCall}, which
 * writes the replica's request straight into one buffer and passes its answer back as it read it, body bytes
 * untouched. On a small machine the proxy's CPU per call decides how many calls it passes; this path costs about a
 * third less than the main port's.
 *
 * <p>One request at a time per connection: a pipelined request waits, read but not acted on, until the answer before
 * it has gone out. HTTP/2 is served on the main port only.
 */
final class InferenceServer {
    static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] LAST_CHUNK = {'0', '\r', '\n', '\r', '\n'};
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_OK = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** For an HTTP/1.0 caller that asked to keep the connection: it closes unless told it stays. */
    private static final byte[] EMPTY_OK_KEPT = "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: keep-alive\r\n\r\n"
            .getBytes(StandardCharsets.US_ASCII);

    private final InferenceRoutes routes;
    private final ReplicaProxy.Settings settings;
    private final int maxInitialLine;
    private final int maxHeaderSize;
    private final long idleNanos;
    private final VertxInternal vertx;
    private final int loops;
    /** Each event loop's own connections to replicas, raw (this server reads the answers itself). */
    private final ThreadLocal<ReplicaConnections> replicas = new ThreadLocal<>();

    /** {@code loops}: how many of Vert.x's event loops take connections (the main port's count). */
    InferenceServer(Vertx vertx, InferenceRoutes routes, int loops, int maxInitialLine, int maxHeaderSize,
                    Duration idleTimeout) {
        this.loops = loops;
        this.vertx = (VertxInternal) vertx;
        this.routes = routes;
        this.settings = routes == null ? null : routes.settings(); // null: a listener that only binds (its tests)
        this.maxInitialLine = maxInitialLine;
        this.maxHeaderSize = maxHeaderSize;
        this.idleNanos = idleTimeout.toNanos();
    }

    /** Listens on {@code host:port} (0: a free port) on Vert.x's event loops; the channel closes with them. */
    Channel listen(String host, int port) throws InterruptedException {
        EventLoopGroup loops = EventLoops.first(vertx.nettyEventLoopGroup(), this.loops);
        @SuppressWarnings("unchecked")
        var channels = (ChannelFactory<? extends ServerChannel>) vertx.transport().serverChannelFactory(false);
        return new ServerBootstrap().group(vertx.getAcceptorEventLoopGroup(), loops).channelFactory(channels)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<>() {
                    @Override
                    protected void initChannel(Channel channel) {
                        channel.pipeline().addLast(new HttpRequestDecoder(maxInitialLine, maxHeaderSize, 8192),
                                new Caller());
                    }
                })
                .bind(new InetSocketAddress(host, port)).sync().channel();
    }

    ReplicaProxy.Settings settings() {
        return settings;
    }

    boolean stripsAuthorization() {
        return routes.tokenRequired();
    }

    ReplicaConnections replicaConnections(Channel caller) {
        ReplicaConnections connections = replicas.get();
        if (connections == null) {
            connections = new ReplicaConnections(caller.eventLoop(), vertx.transport().channelFactory(false),
                    settings.connectionsPerReplica(), ReplicaProxy.CONNECT_TIMEOUT_MS, ReplicaProxy.KEEP_ALIVE_NANOS,
                    false);
            replicas.set(connections);
        }
        return connections;
    }

    /** How a request's body is taken: dropped, gathered whole before routing, or streamed to the replica. */
    enum BodyMode { DISCARD, GATHER, STREAM }

    /** One caller connection: its requests in turn. */
    final class Caller extends ChannelInboundHandlerAdapter {
        Channel channel;
        /** The request being served, null between requests. */
        Request current;
        /** Messages of pipelined requests read while one was served. */
        private final ArrayDeque<Object> queued = new ArrayDeque<>();
        /** Closing once the answer in progress is out: nothing more it sent is served. */
        boolean closing;
        /** When the caller last sent or was sent something (System.nanoTime()). */
        long lastActive;
        private ScheduledFuture<?> idleCheck;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            channel = ctx.channel();
            lastActive = System.nanoTime();
            idleCheck = channel.eventLoop().schedule(this::checkIdle, idleNanos, TimeUnit.NANOSECONDS);
            ctx.fireChannelActive();
        }

        /**
         * A connection that carried nothing either way for the idle timeout is closed, a request in progress with it
         * (a body that stopped coming, an answer the caller stopped reading).
         */
        private void checkIdle() {
            long idle = System.nanoTime() - lastActive;
            if (idle >= idleNanos) {
                channel.close();
            } else {
                idleCheck = channel.eventLoop().schedule(this::checkIdle, idleNanos - idle, TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            lastActive = System.nanoTime();
            if (closing) {
                ReferenceCountUtil.release(msg); // after an answer that closes the connection nothing more is served
                return;
            }
            if (current != null && current.bodyDone || !queued.isEmpty()) {
                queued.add(msg); // a pipelined request: served once the one before it is answered
                channel.config().setAutoRead(false);
                return;
            }
            take(msg);
        }

        private void take(Object msg) {
            if (closing) {
                ReferenceCountUtil.release(msg);
                return;
            }
            if (msg instanceof HttpRequest head) {
                if (head.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    malformed(head.decoderResult().cause());
                    return;
                }
                current = new Request(this, head);
                Problem framing = unsupportedFraming(head);
                if (framing != null) {
                    current.closeAfter = true; // where the body ends is not known: nothing after it can be read
                    current.refuse(framing, null);
                } else {
                    start(current);
                }
                if (msg instanceof HttpContent content) { // a full request (not made by the decoder, but allowed)
                    current.content(content);
                }
            } else if (msg instanceof HttpContent content) {
                if (current == null) {
                    content.release(); // the body of a request refused and closed
                } else if (content.decoderResult().isFailure()) {
                    content.release();
                    current.abort(new IOException("the caller's request body is malformed: "
                            + content.decoderResult().cause().getMessage()));
                    channel.close();
                } else {
                    current.content(content);
                }
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        /** What the decoder could not read: 414, 431 or 400, and the connection closes (it is out of step). */
        private void malformed(Throwable cause) {
            Problem problem;
            if (cause instanceof TooLongHttpLineException) {
                problem = Problem.of(414, "URI Too Long", "the request line is longer than " + maxInitialLine
                        + " bytes (quarkus.http.limits.max-initial-line-length)");
            } else if (cause instanceof TooLongHttpHeaderException) {
                problem = Problem.of(431, "Request Header Fields Too Large", "the request headers are larger than "
                        + maxHeaderSize + " bytes (quarkus.http.limits.max-header-size)");
            } else {
                problem = Problem.of(400, "Bad Request", "the request is not valid HTTP/1.1: "
                        + (cause instanceof TooLongFrameException ? "a line is too long" : cause.getMessage()));
            }
            closing = true;
            writeProblem(channel, problem, null, false, false);
        }

        /** The request's answer went out and its body was read: the next request, if one waits. */
        void finished(Request request, boolean keepAlive) {
            if (current != request) {
                return;
            }
            current = null;
            lastActive = System.nanoTime();
            if (!keepAlive) {
                closing = true;
                // after what is still queued: a close now would drop the end of the answer
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            Object next;
            while (current == null && (next = queued.poll()) != null) {
                take(next);
            }
            while (current != null && !current.bodyDone && (next = queued.poll()) != null) {
                take(next);
            }
            if (queued.isEmpty()) {
                channel.config().setAutoRead(true);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (current != null) {
                current.callerWritable(channel.isWritable());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (idleCheck != null) {
                idleCheck.cancel(false);
            }
            Request gone = current;
            current = null;
            if (gone != null) {
                gone.abort(new IOException("the caller went away"));
            }
            queued.forEach(ReferenceCountUtil::release);
            queued.clear();
        }
    }

    /**
     * A body framing the gateway does not pass on: a transfer coding other than chunked alone (RFC 9112 section 6.1:
     * 501), or any in an HTTP/1.0 request (400). Where such a body ends is read differently by different servers, so
     * the request is refused and its connection closed rather than guessed at.
     */
    static Problem unsupportedFraming(HttpRequest head) {
        List<String> codings = head.headers().getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (codings.isEmpty()) {
            return null;
        }
        if (head.protocolVersion().minorVersion() == 0) {
            return Problem.of(400, "Bad Request", "an HTTP/1.0 request cannot have a Transfer-Encoding");
        }
        String all = String.join(",", codings);
        if (!all.trim().equalsIgnoreCase("chunked")) {
            return Problem.of(501, "Not Implemented", "Transfer-Encoding '" + all + "': only 'chunked' is taken");
        }
        return null;
    }

    /** Serves one request: answered here, refused, or routed to a replica. */
    private void start(Request request) {
        HttpRequest head = request.head;
        String uri = absoluteToOrigin(head.uri());
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        if (!path.startsWith("/")) {
            request.refuse(Problem.of(400, "Bad Request", "the request target '" + uri + "' is not a path"), null);
            return;
        }
        InferenceRoutes.Target target = InferenceRoutes.target(head.method().name(), path);
        switch (target.kind()) {
            case NONE -> request.refuse(Problem.of(404, "Not found", "no data-plane path '" + path
                    + "': the inference port serves /v2/health/live|ready, /v2/models/{name}[/infer|/ready] and "
                    + "/models/{name}/proxy/... only; the management API, metrics and OpenAPI document are on the "
                    + "gateway's main port"), null);
            case NOT_ALLOWED -> request.refuse(Problem.of(405, "Method Not Allowed", "this path does not take "
                    + head.method() + "; it takes " + target.allowed()), target.allowed());
            case HEALTH -> request.answerEmpty();
            case READY -> {
                Problem refused = routes.authorization(head.headers().get(HttpHeaderNames.AUTHORIZATION));
                if (refused == null) {
                    refused = routes.readiness(target.model());
                }
                if (refused == null) {
                    request.answerEmpty();
                } else {
                    request.refuse(refused, null);
                }
            }
            case FORWARD -> forward(request, target, query < 0 ? null : uri.substring(query + 1));
        }
    }

    private void forward(Request request, InferenceRoutes.Target target, String query) {
        HttpRequest head = request.head;
        String model = target.model();
        request.model = model;
        request.start = System.nanoTime();
        Problem refused = routes.authorization(head.headers().get(HttpHeaderNames.AUTHORIZATION));
        boolean chunked = HttpUtil.isTransferEncodingChunked(head);
        long length = chunked ? -1 : ReplicaProxy.contentLength(head.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        if (refused == null && length > settings.maxBody()) {
            refused = routes.tooLarge("the request body is " + length + " bytes");
        }
        if (refused != null) {
            routes.rejected(model);
            request.refuse(refused, null);
            return;
        }
        request.path = query == null ? target.replicaPath() : e -> target.replicaPath().apply(e) + "?" + query;
        if (head.protocolVersion() == HttpVersion.HTTP_1_1 && head.headers().containsValue(HttpHeaderNames.EXPECT,
                HttpHeaderValues.CONTINUE, true)) {
            request.caller.channel.writeAndFlush(Unpooled.wrappedBuffer(CONTINUE), request.caller.channel.voidPromise());
        }
        if (length == 0 || (length < 0 && !chunked)) {
            request.mode = BodyMode.DISCARD; // no body: the decoder's empty last piece follows
            request.body = Unpooled.EMPTY_BUFFER;
            route(request);
        } else if (length > 0 && length <= settings.replayableBody()) {
            request.mode = BodyMode.GATHER;
            request.body = request.caller.channel.alloc().buffer((int) length);
            request.chunked = false;
        } else {
            request.mode = BodyMode.STREAM;
            request.chunked = length < 0;
            route(request);
        }
    }

    void route(Request request) {
        request.settled = false;
        String model = request.model;
        InferenceRoutes.CallTimeout timeout = routes.timeout(model);
        Channel channel = request.caller.channel;
        routes.router().route(model, endpoint -> {
                    ForwardedCall call = new ForwardedCall(this, request, endpoint, request.path.apply(endpoint),
                            timeout.value());
                    if (channel.eventLoop().inEventLoop()) {
                        call.start();
                    } else {
                        channel.eventLoop().execute(call::start);
                    }
                    return call.done;
                }, Infrastructure.getDefaultWorkerPool())
                .whenComplete((result, error) -> {
                    if (channel.eventLoop().inEventLoop()) {
                        request.routed(result, error, timeout);
                    } else {
                        channel.eventLoop().execute(() -> request.routed(result, error, timeout));
                    }
                });
    }

    /**
     * One request from a caller and what became of it: its body as it is taken ({@link BodyMode}), the call passing it
     * on, and whether its answer went out.
     */
    final class Request {
        final Caller caller;
        final HttpRequest head;
        final boolean keepAlive;
        final ReplicaProxy.Origin origin;
        String model;
        long start;
        Function<Endpoint, String> path;
        BodyMode mode = BodyMode.DISCARD;
        /** Gathered (or empty) body; null while it streams. */
        ByteBuf body;
        boolean chunked;
        /** Streamed body pieces that came before a call took them. */
        ArrayDeque<HttpContent> pending;
        long seen;
        boolean over;
        boolean bodyDone;
        /** The call that has the request now. */
        ForwardedCall call;
        boolean headWritten;
        /** The whole answer went out. */
        boolean answered;
        /** What became of the request is known and counted (always, but for a routed one still in progress). */
        boolean settled = true;
        int status;
        /** The connection closes once this answer is out (the caller asked, or a body stays unread). */
        boolean closeAfter;

        Request(Caller caller, HttpRequest head) {
            this.caller = caller;
            this.head = head;
            this.keepAlive = HttpUtil.isKeepAlive(head);
            this.closeAfter = !keepAlive;
            Channel channel = caller.channel;
            this.origin = ReplicaProxy.Origin.of(head.headers().get(HttpHeaderNames.HOST),
                    head.headers().get(ReplicaProxy.X_FORWARDED_FOR),
                    channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : null, false);
        }

        boolean http10() {
            return head.protocolVersion().minorVersion() == 0;
        }

        void content(HttpContent piece) {
            boolean last = piece instanceof LastHttpContent;
            switch (mode) {
                case DISCARD -> {
                    seen += piece.content().readableBytes();
                    piece.release();
                    if (seen > settings.maxBody()) {
                        caller.channel.close();
                        return;
                    }
                }
                case GATHER -> {
                    ByteBuf bytes = piece.content();
                    if (body != null && body.writableBytes() >= bytes.readableBytes()) {
                        body.writeBytes(bytes);
                    }
                    piece.release();
                }
                case STREAM -> {
                    seen += piece.content().readableBytes();
                    if (over) {
                        piece.release();
                    } else if (seen > settings.maxBody()) {
                        // past the limit nothing more may reach the replica, nor an end that would make it look
                        // complete: the call is cut off and the caller answered 413
                        over = true;
                        piece.release();
                        if (call != null) {
                            call.bodyTooLarge();
                        }
                    } else if (call != null && call.takesBody()) {
                        call.bodyPiece(piece);
                    } else {
                        if (pending == null) {
                            pending = new ArrayDeque<>();
                        }
                        pending.add(piece);
                        caller.channel.config().setAutoRead(false); // no more until a replica takes the body
                    }
                }
            }
            if (last) {
                bodyDone = true;
                if (mode == BodyMode.GATHER) {
                    route(this);
                } else {
                    finishIfDone();
                }
            }
        }

        /** Once the answer is out, the body read and the outcome counted, the connection takes its next request. */
        private void finishIfDone() {
            if (answered && bodyDone && settled) {
                caller.finished(this, !closeAfter);
            }
        }

        /** The caller can take more of the answer (or can no longer): the call reads the replica on or holds it. */
        void callerWritable(boolean writable) {
            if (call != null) {
                call.callerWritable(writable);
            }
        }

        /** A call to a replica takes the streamed body: what came so far goes first. */
        void attach(ForwardedCall call) {
            if (over) {
                call.bodyTooLarge();
                return;
            }
            HttpContent piece;
            while (pending != null && (piece = pending.poll()) != null) {
                call.bodyPiece(piece);
            }
            if (!bodyDone && call.takesBody() && call.replicaWritable()) {
                caller.channel.config().setAutoRead(true);
            }
        }

        /** Answers 200 without a body (health, readiness). */
        void answerEmpty() {
            status = 200;
            answered = true;
            mode = BodyMode.DISCARD;
            byte[] response = http10() && !closeAfter ? EMPTY_OK_KEPT : EMPTY_OK;
            caller.channel.writeAndFlush(Unpooled.wrappedBuffer(response), caller.channel.voidPromise());
            finishIfDone();
        }

        /**
         * Refuses the request. A body the caller may still be sending is not read: the connection closes after the
         * answer, or a client still sending it would wait on full buffers.
         */
        void refuse(Problem problem, String allow) {
            boolean bodyFollows = !bodyDone && (HttpUtil.isTransferEncodingChunked(head)
                    || ReplicaProxy.contentLength(head.headers().get(HttpHeaderNames.CONTENT_LENGTH)) > 0);
            mode = BodyMode.DISCARD;
            closeAfter |= bodyFollows;
            answered = true;
            status = problem.status();
            writeProblem(caller.channel, problem, allow, !closeAfter, http10());
            if (closeAfter) {
                caller.closing = true;
                caller.current = null;
            } else {
                finishIfDone();
            }
        }

        /** The routed call is over: counted, and the caller told what it has not been told yet. */
        void routed(RouteResult<ReplicaProxy.Exchange> result, Throwable error, InferenceRoutes.CallTimeout timeout) {
            Problem problem = routes.outcome(model, result, error, Duration.ofNanos(System.nanoTime() - start),
                    headWritten, status, timeout);
            releaseBody();
            settled = true;
            if (caller.current != this) {
                return; // the caller went away meanwhile
            }
            if (headWritten && !answered) {
                caller.channel.close(); // the answer began and broke off: the caller must not take it for complete
            } else if (problem != null) {
                if (problem.status() == 413) {
                    closeAfter = true; // the rest of the body is not read
                }
                refuse(problem, null);
            } else {
                mode = BodyMode.DISCARD; // a replica that answered before the whole body came: the rest is dropped
                if (!bodyDone) {
                    caller.channel.config().setAutoRead(true); // (reading may have paused for the replica)
                }
                finishIfDone();
            }
        }

        /** The caller went away, or its body broke: the call in progress is given up. */
        void abort(IOException why) {
            if (call != null) {
                call.callerGone(why);
            }
            releaseBody();
        }

        private void releaseBody() {
            if (body != null && body != Unpooled.EMPTY_BUFFER && body.refCnt() > 0) {
                body.release();
            }
            body = null;
            HttpContent piece;
            while (pending != null && (piece = pending.poll()) != null) {
                piece.release();
            }
        }
    }

    /**
     * Writes a problem+json answer; {@code keepAlive} false adds Connection: close and closes after the write, true
     * tells an HTTP/1.0 caller that the connection stays.
     */
    static void writeProblem(Channel channel, Problem problem, String allow, boolean keepAlive, boolean http10) {
        byte[] json = problem.toJson().getBytes(StandardCharsets.UTF_8);
        ByteBuf out = channel.alloc().buffer(256 + json.length);
        ByteBufUtil.writeAscii(out, "HTTP/1.1 " + problem.status() + " "
                + HttpResponseStatus.valueOf(problem.status()).reasonPhrase() + "\r\ncontent-type: " + Problem.MEDIA_TYPE
                + "\r\ncontent-length: " + json.length + "\r\n");
        if (problem.retryAfter() != null) {
            ByteBufUtil.writeAscii(out, "retry-after: " + Math.max(1, problem.retryAfter().toSeconds()) + "\r\n");
        }
        if (problem.status() == 401) {
            ByteBufUtil.writeAscii(out, "www-authenticate: Bearer realm=\"modelgate\"\r\n");
        }
        if (allow != null) {
            ByteBufUtil.writeAscii(out, "allow: " + allow + "\r\n");
        }
        if (!keepAlive) {
            ByteBufUtil.writeAscii(out, "connection: close\r\n");
        } else if (http10) {
            ByteBufUtil.writeAscii(out, "connection: keep-alive\r\n");
        }
        out.writeBytes(CRLF).writeBytes(json);
        if (keepAlive) {
            channel.writeAndFlush(out, channel.voidPromise());
        } else {
            channel.writeAndFlush(out).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** The path and query of an absolute-form target ({@code http://host/p?q} is {@code /p?q}); others as they are. */
    static String absoluteToOrigin(String uri) {
        int scheme = uri.startsWith("http://") ? 7 : uri.startsWith("https://") ? 8 : -1;
        if (scheme < 0) {
            return uri;
        }
        int path = uri.indexOf('/', scheme);
        int query = uri.indexOf('?', scheme);
        int end = path < 0 ? query : query < 0 ? path : Math.min(path, query);
        return end < 0 ? "/" : uri.charAt(end) == '?' ? "/" + uri.substring(end) : uri.substring(end);
    }

    /** One chunk of a chunked body: its size line, {@code data} (retained), CRLF; not flushed. */
    static void writeChunk(Channel channel, ByteBuf data) {
        ByteBuf size = channel.alloc().buffer(12);
        ByteBufUtil.writeAscii(size, Integer.toHexString(data.readableBytes()));
        size.writeBytes(CRLF);
        channel.write(size, channel.voidPromise());
        channel.write(data.retain(), channel.voidPromise());
        channel.write(channel.alloc().buffer(2).writeBytes(CRLF), channel.voidPromise());
    }

    /** The last chunk (size 0, no trailers), which ends a chunked body; not flushed. */
    static void writeLastChunk(Channel channel) {
        channel.write(channel.alloc().buffer(LAST_CHUNK.length).writeBytes(LAST_CHUNK), channel.voidPromise());
    }

    static boolean isHead(HttpRequest head) {
        return head.method() == HttpMethod.HEAD;
    }
}
