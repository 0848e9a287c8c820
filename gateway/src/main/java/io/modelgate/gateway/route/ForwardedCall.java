package io.modelgate.gateway.route;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * One call to a replica for the inference port's {@link InferenceServer}, on the caller's event loop from start to end,
 * over a raw kept-alive connection from {@link ReplicaConnections}: the request goes out as one buffer (head and, when
 * it was gathered, body), the answer is read by a {@link ResponseReader} and passed on with its body bytes as they
 * came (a small answer of known length gathered first and written in one piece, so one that breaks off can still be
 * answered 502). The rules are {@link ReplicaProxy}'s: hop-by-hop headers dropped, X-Forwarded-* set, the replica's
 * silence bounded by the timeout, a kept-alive connection found closed before any answer tried once more, back-pressure
 * both ways.
 */
final class ForwardedCall extends ReplicaConnections.User implements ResponseReader.Listener {
    private static final int MAX_ANSWER_HEAD = 16 * 1024;

    /** Where a call is: in line for a connection, sent and waiting for the answer's head, answering, or over. */
    private enum State { WAITING, SENT, ANSWERING, OVER }

    final CompletableFuture<ReplicaProxy.Exchange> done = new CompletableFuture<>();
    private final InferenceServer server;
    private final InferenceServer.Request request;
    private final Channel caller;
    private final Endpoint endpoint;
    private final String path;
    private final Duration timeout;
    private final long timeoutNanos;
    private final long connectionWaitNanos;
    private ReplicaConnections connections;
    private ReplicaConnections.Connection connection;
    private ResponseReader reader;
    private State state = State.WAITING;
    private boolean reused;
    private boolean again;
    /** The whole request (body included) went to the replica. */
    private boolean requestSent;
    private boolean bodyTooLarge;
    /** A small answer gathered whole (its head for the caller, then its body) before any of it goes out. */
    private ByteBuf gathered;
    /** The answer's body is framed anew in chunks for the caller (the replica chunked it, or ends it by closing). */
    private boolean rechunk;
    private boolean keepAlive;
    private boolean answerComplete;
    /** The replica is not read while the caller's write queue is full. */
    private boolean heldBack;

    ForwardedCall(InferenceServer server, InferenceServer.Request request, Endpoint endpoint, String path,
                  Duration timeout) {
        this.server = server;
        this.request = request;
        this.caller = request.caller.channel;
        this.endpoint = endpoint;
        this.path = path;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.connectionWaitNanos = server.settingsConnectionWaitNanos();
    }

    void start() {
        if (!caller.isActive()) {
            state = State.OVER;
            done.completeExceptionally(new IOException("the caller went away before a replica was chosen"));
            return;
        }
        request.call = this; // the caller's hang-up and writability reach this call from now on
        connections = server.replicaConnections(caller);
        connections.acquire(endpoint, this, connectionWaitNanos);
    }

    @Override
    boolean finished() {
        return state == State.OVER;
    }

    @Override
    void notConnected(Throwable cause) {
        if (state != State.WAITING) {
            return;
        }
        state = State.OVER;
        done.completeExceptionally(new ReplicaCall.NotReachedException("cannot connect to replica " + endpoint.id()
                + " at " + endpoint.base().getHost() + ":" + endpoint.base().getPort() + ": " + cause.getMessage(), cause));
    }

    @Override
    void connected(ReplicaConnections.Connection connection, boolean reused) {
        if (state != State.WAITING) { // gave up waiting just as this came: the next caller has it
            connection.release(true);
            return;
        }
        this.connection = connection;
        this.reused = reused;
        state = State.SENT;
        if (reader == null) {
            reader = new ResponseReader(MAX_ANSWER_HEAD);
        }
        reader.reset(InferenceServer.isHead(request.head));
        Channel channel = connection.channel;
        ByteBuf body = request.body;
        ByteBuf out = channel.alloc().directBuffer(512 + (body == null ? 0 : body.readableBytes()));
        writeHead(out, body);
        if (body != null) {
            out.writeBytes(body, body.readerIndex(), body.readableBytes()); // kept: sent again if this connection fails
            requestSent = true;
        }
        connections.watch(this, System.nanoTime() + timeoutNanos);
        channel.writeAndFlush(out, channel.voidPromise());
        if (body == null) {
            request.attach(this);
        }
    }

    /** The request line and headers for the replica: the caller's end-to-end ones, Host, X-Forwarded-*, framing. */
    private void writeHead(ByteBuf out, ByteBuf body) {
        HttpRequest head = request.head;
        ByteBufUtil.writeAscii(out, head.method().name());
        out.writeByte(' ');
        out.writeCharSequence(path, StandardCharsets.ISO_8859_1);
        ByteBufUtil.writeAscii(out, " HTTP/1.1\r\n");
        String connectionHeader = head.headers().get(HttpHeaderNames.CONNECTION);
        boolean strip = server.stripsAuthorization();
        for (Iterator<Map.Entry<CharSequence, CharSequence>> it = head.headers().iteratorCharSequence(); it.hasNext(); ) {
            Map.Entry<CharSequence, CharSequence> h = it.next();
            CharSequence name = h.getKey();
            if (ReplicaProxy.dropped(name, connectionHeader) || ReplicaProxy.is(name, "content-length")
                    || ReplicaProxy.is(name, "x-forwarded-for") || ReplicaProxy.is(name, "x-forwarded-host")
                    || ReplicaProxy.is(name, "x-forwarded-proto") || (strip && ReplicaProxy.is(name, "authorization"))) {
                continue;
            }
            header(out, name, h.getValue());
        }
        header(out, "host", endpoint.base().getRawAuthority());
        header(out, "x-forwarded-proto", "http");
        ReplicaProxy.Origin origin = request.origin;
        if (origin.host() != null) {
            header(out, "x-forwarded-host", origin.host());
        }
        if (origin.forwardedFor() != null) {
            header(out, "x-forwarded-for", origin.forwardedFor());
        }
        if (body != null) {
            header(out, "content-length", Integer.toString(body.readableBytes()));
        } else if (request.chunked) {
            header(out, "transfer-encoding", "chunked");
        } else {
            header(out, "content-length", head.headers().get(HttpHeaderNames.CONTENT_LENGTH));
        }
        out.writeBytes(InferenceServer.CRLF);
    }

    private static void header(ByteBuf out, CharSequence name, CharSequence value) {
        out.writeCharSequence(name, StandardCharsets.ISO_8859_1);
        out.writeByte(':');
        out.writeByte(' ');
        out.writeCharSequence(value, StandardCharsets.ISO_8859_1);
        out.writeBytes(InferenceServer.CRLF);
    }

    /** Whether a streamed body piece goes straight to the replica now. */
    boolean takesBody() {
        return state == State.SENT || state == State.ANSWERING && !requestSent;
    }

    /** One piece of the caller's streamed body, to the replica (in chunks when the caller chunked it). */
    void bodyPiece(HttpContent piece) {
        if (state == State.OVER || connection == null) {
            piece.release();
            return;
        }
        Channel channel = connection.channel;
        ByteBuf data = piece.content();
        boolean last = piece instanceof LastHttpContent;
        deadline = System.nanoTime() + timeoutNanos;
        if (request.chunked) {
            if (data.isReadable()) {
                ByteBuf size = channel.alloc().buffer(12);
                ByteBufUtil.writeAscii(size, Integer.toHexString(data.readableBytes()));
                size.writeBytes(InferenceServer.CRLF);
                channel.write(size, channel.voidPromise());
                channel.write(data.retain(), channel.voidPromise());
                channel.write(channel.alloc().buffer(2).writeBytes(InferenceServer.CRLF), channel.voidPromise());
            }
            if (last) {
                channel.write(channel.alloc().buffer(5).writeBytes(new byte[] {'0', '\r', '\n', '\r', '\n'}),
                        channel.voidPromise());
            }
        } else if (data.isReadable()) {
            channel.write(data.retain(), channel.voidPromise());
        }
        piece.release();
        channel.flush();
        if (last) {
            requestSent = true;
        } else if (!channel.isWritable()) {
            caller.config().setAutoRead(false); // the replica reads slower than the caller sends
        }
    }

    /** The caller's streamed body passed the limit: the replica's connection is closed, nothing more reaches it. */
    void bodyTooLarge() {
        bodyTooLarge = true;
        if (connection != null && state != State.OVER) {
            connection.channel.close();
        }
    }

    @Override
    void writability(boolean writable) {
        if (writable && !requestSent && state != State.OVER) {
            caller.config().setAutoRead(true);
        }
    }

    /** Whether the replica's connection takes more of the body now. */
    boolean replicaWritable() {
        return connection != null && connection.channel.isWritable();
    }

    void callerWritable(boolean writable) {
        if (writable && heldBack && state != State.OVER) {
            heldBack = false;
            deadline = System.nanoTime() + timeoutNanos;
            connection.channel.config().setAutoRead(true);
        }
    }

    /** The caller hung up: the replica's work and the connection are not held for nobody. */
    void callerGone(IOException why) {
        if (state == State.OVER) {
            return;
        }
        State was = state;
        end();
        if (was != State.WAITING) {
            connection.channel.close();
        } else {
            connections.leaveLine(endpoint, this);
        }
        releaseGathered();
        done.completeExceptionally(why);
    }

    @Override
    void read(Object piece) {
        ByteBuf bytes = (ByteBuf) piece;
        try {
            if (state == State.OVER || answerComplete) {
                connection.channel.close(); // bytes nobody asked for: the connection is out of step
                return;
            }
            reader.feed(bytes, this);
            if (answerComplete) {
                complete(!bytes.isReadable());
            }
        } catch (ResponseReader.ParseException e) {
            failAnswer(e);
        } finally {
            ReferenceCountUtil.release(bytes);
        }
    }

    @Override
    public void head(ResponseReader.Head head) {
        state = State.ANSWERING;
        deadline = System.nanoTime() + timeoutNanos;
        String connectionHeader = head.connection();
        keepAlive = connectionHeader == null ? head.http11()
                : !ReplicaProxy.names(connectionHeader, "close") && (head.http11() || ReplicaProxy.names(connectionHeader, "keep-alive"));
        request.status = head.status();
        if (head.framing() == ResponseReader.Framing.LENGTH && head.contentLength() <= server.settingsReplayableBody()) {
            // a small answer of known length (an inference result): gathered, then head and body in one write;
            // until then nothing is written, so an answer that breaks off can still be answered 502
            // (the head is written into the same buffer now, so the answer goes out in one piece without a copy)
            gathered = caller.alloc().directBuffer(256 + head.names().size() * 48 + (int) head.contentLength());
            writeAnswerHead(gathered, head);
            return;
        }
        boolean delimitedByEnd = head.framing() == ResponseReader.Framing.CHUNKED
                || head.framing() == ResponseReader.Framing.UNTIL_CLOSE;
        if (delimitedByEnd) {
            if (request.http10()) {
                request.closeAfter = true; // an HTTP/1.0 caller learns the end from the connection's
            } else {
                rechunk = true;
            }
        }
        ByteBuf out = caller.alloc().directBuffer(256 + head.names().size() * 48);
        writeAnswerHead(out, head);
        request.headWritten = true;
        caller.writeAndFlush(out, caller.voidPromise());
    }

    /** The answer's head for the caller: the replica's status and end-to-end headers, the revision, the framing. */
    private void writeAnswerHead(ByteBuf out, ResponseReader.Head head) {
        ByteBufUtil.writeAscii(out, "HTTP/1.1 ");
        ByteBufUtil.writeAscii(out, Integer.toString(head.status()));
        out.writeByte(' ');
        out.writeCharSequence(head.reason(), StandardCharsets.ISO_8859_1);
        out.writeBytes(InferenceServer.CRLF);
        // a length beside chunked framing, or one the replica's close would contradict, is not the caller's
        boolean lengthPasses = head.framing() == ResponseReader.Framing.LENGTH || head.framing() == ResponseReader.Framing.NONE;
        for (int i = 0; i < head.names().size(); i++) {
            String name = head.names().get(i);
            if (!ReplicaProxy.dropped(name, head.connection()) && (lengthPasses || !ReplicaProxy.is(name, "content-length"))
                    && !(endpoint.revision() > 0 && ReplicaProxy.is(name, Router.REVISION_HEADER))) {
                header(out, name, head.values().get(i));
            }
        }
        if (endpoint.revision() > 0) {
            header(out, Router.REVISION_HEADER, Integer.toString(endpoint.revision()));
        }
        if (rechunk) {
            header(out, "transfer-encoding", "chunked");
        }
        if (request.closeAfter) {
            header(out, "connection", "close");
        } else if (request.http10()) {
            header(out, "connection", "keep-alive");
        }
        out.writeBytes(InferenceServer.CRLF);
    }

    @Override
    public void content(ByteBuf data) {
        deadline = System.nanoTime() + timeoutNanos; // each piece of the answer moves the deadline on
        request.caller.lastActive = deadline - timeoutNanos;
        if (gathered != null) {
            gathered.writeBytes(data);
            return;
        }
        if (rechunk) {
            ByteBuf size = caller.alloc().buffer(12);
            ByteBufUtil.writeAscii(size, Integer.toHexString(data.readableBytes()));
            size.writeBytes(InferenceServer.CRLF);
            caller.write(size, caller.voidPromise());
            caller.write(data.retain(), caller.voidPromise());
            caller.write(caller.alloc().buffer(2).writeBytes(InferenceServer.CRLF), caller.voidPromise());
        } else {
            caller.write(data.retain(), caller.voidPromise());
        }
        caller.flush();
        if (!caller.isWritable()) {
            // the caller reads slower than the replica sends: stop reading the replica until it drains
            // (meanwhile the replica is not silent, the caller is slow: no timeout)
            connection.channel.config().setAutoRead(false);
            heldBack = true;
        }
    }

    @Override
    public void last() {
        answerComplete = true;
    }

    /** The answer is complete: it goes out whole, the connection goes back, and the call is over. */
    private void complete(boolean nothingAfter) {
        ReplicaConnections.Connection used = connection;
        end();
        if (gathered != null) {
            ByteBuf out = gathered;
            gathered = null;
            request.headWritten = true;
            caller.writeAndFlush(out, caller.voidPromise());
        } else if (rechunk) {
            caller.writeAndFlush(caller.alloc().buffer(5).writeBytes(new byte[] {'0', '\r', '\n', '\r', '\n'}),
                    caller.voidPromise());
        }
        request.answered = true;
        // a connection whose request body is still on its way cannot carry another call, nor one that sent more
        // than its answer
        used.release(keepAlive && requestSent && nothingAfter);
        done.complete(ReplicaProxy.Exchange.ANSWERED);
    }

    /** The replica's answer cannot be read: the connection closes, and the call fails as {@link #lost} says. */
    private void failAnswer(IOException cause) {
        failure = cause;
        connection.channel.close(); // lost() follows, with this cause
    }

    private IOException failure;

    @Override
    void lost(Throwable cause) {
        if (state == State.OVER) {
            return;
        }
        if (failure != null) {
            cause = failure;
        } else if (state == State.ANSWERING && reader != null && !bodyTooLarge) {
            try {
                reader.closed(this); // an answer that ends with its connection
                if (answerComplete) {
                    keepAlive = false;
                    complete(true);
                    return;
                }
            } catch (ResponseReader.ParseException e) {
                cause = e;
            }
        }
        State was = state;
        end();
        if (bodyTooLarge) {
            releaseGathered();
            done.complete(ReplicaProxy.Exchange.BODY_TOO_LARGE);
        } else if (was == State.SENT) {
            if (!again && reused && request.body != null && !connection.heard) {
                // a kept-alive connection the replica closed as we reused it, without a byte of answer: the replica
                // never took the request, so it is sent once more on another connection
                again = true;
                state = State.WAITING;
                connection = null;
                connections.acquire(endpoint, this, connectionWaitNanos);
                return;
            }
            done.completeExceptionally(new IOException("replica " + endpoint.id()
                    + " closed the connection before answering: " + cause.getMessage(), cause));
        } else {
            brokeOff(cause.getMessage(), cause);
        }
    }

    @Override
    void expired() {
        State was = state;
        if (was == State.OVER) {
            return;
        }
        if (heldBack) {
            connections.watch(this, System.nanoTime() + timeoutNanos);
            return;
        }
        end();
        if (was == State.WAITING) {
            // every pooled connection to this replica stayed busy: the replica is at capacity, not broken
            connections.leaveLine(endpoint, this);
            done.complete(ReplicaProxy.Exchange.NO_CONNECTION);
            return;
        }
        connection.channel.close();
        if (was == State.SENT) {
            done.completeExceptionally(new TimeoutException("replica " + endpoint.id() + " sent nothing for "
                    + timeout.toMillis() + " ms"));
        } else {
            brokeOff("it sent nothing for " + timeout.toMillis() + " ms", new TimeoutException());
        }
    }

    /**
     * The answer began and broke off. Once part of it went out the caller's connection is closed: a cut answer must not
     * look complete. While it was still being gathered nothing went out, and the caller is answered 502.
     */
    private void brokeOff(String why, Throwable cause) {
        releaseGathered();
        done.completeExceptionally(new ReplicaProxy.BrokeOffException("replica " + endpoint.id()
                + " broke off its answer: " + why, cause));
    }

    private void releaseGathered() {
        if (gathered != null) {
            gathered.release();
            gathered = null;
        }
    }

    /** The call is over: later events on its connection, body or caller are no longer its own. */
    private void end() {
        state = State.OVER;
        heldBack = false;
        if (reader != null) {
            reader.release();
        }
        if (connection != null && connection.user == this) {
            connection.user = null;
        }
    }
}
