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

/**
 * One call to a replica for the inference port's {@link InferenceServer}, on the caller's event loop from start to end,
 * over a raw kept-alive connection from {@link ReplicaConnections}: the request goes out as one buffer (head and, when
 * it was gathered, body), the answer is read by a {@link ResponseReader} and passed on with its body bytes as they
 * came (a small answer of known length gathered first and written in one piece, so one that breaks off can still be
 * answered 502). The rules are {@link ReplicaProxy}'s: hop-by-hop headers dropped, X-Forwarded-* set, the replica's
 * silence bounded by the timeout, a kept-alive connection found closed before any answer tried once more, back-pressure
 * both ways.
 */
final class ForwardedCall extends ReplicaExchange implements ResponseReader.Listener {
    private static final int MAX_ANSWER_HEAD = 16 * 1024;

    private final InferenceServer server;
    private final InferenceServer.Request request;
    private final Channel caller;
    private final String path;
    private ResponseReader reader;
    /** The whole request (body included) went to the replica. */
    private boolean requestSent;
    private boolean bodyTooLarge;
    /** A small answer gathered whole (its head for the caller, then its body) before any of it goes out. */
    private ByteBuf gathered;
    /** The answer's body is framed anew in chunks for the caller (the replica chunked it, or ends it by closing). */
    private boolean rechunk;
    private boolean keepAlive;
    /** Why the answer could not be read, for {@link #lost} (which follows the close). */
    private IOException failure;

    ForwardedCall(InferenceServer server, InferenceServer.Request request, Endpoint endpoint, String path,
                  Duration timeout) {
        super(endpoint, timeout, server.settings().connectionWait());
        this.server = server;
        this.request = request;
        this.caller = request.caller.channel;
        this.path = path;
    }

    void start() {
        if (!caller.isActive()) {
            state = State.OVER;
            done.completeExceptionally(new IOException("the caller went away before a replica was chosen"));
            return;
        }
        request.call = this; // the caller's hang-up and writability reach this call from now on
        start(server.replicaConnections(caller));
    }

    @Override
    void connected(ReplicaConnections.Connection connection, boolean reused) {
        if (!take(connection, reused)) {
            return;
        }
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
                InferenceServer.writeChunk(channel, data);
            }
            if (last) {
                InferenceServer.writeLastChunk(channel);
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
            if (state == State.OVER || reader.complete()) {
                connection.channel.close(); // bytes nobody asked for: the connection is out of step
                return;
            }
            reader.feed(bytes, this);
            if (reader.complete()) {
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
        if (head.framing() == ResponseReader.Framing.LENGTH && head.contentLength() <= server.settings().replayableBody()) {
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
        long now = System.nanoTime();
        deadline = now + timeoutNanos; // each piece of the answer moves the deadline on
        request.caller.lastActive = now;
        if (gathered != null) {
            gathered.writeBytes(data);
            return;
        }
        if (rechunk) {
            InferenceServer.writeChunk(caller, data);
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
        // nothing to do in the middle of the reader's pass: read() and lost() ask it whether the answer is complete
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
            InferenceServer.writeLastChunk(caller);
            caller.flush();
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
                if (reader.complete()) {
                    keepAlive = false;
                    complete(true);
                    return;
                }
            } catch (ResponseReader.ParseException e) {
                cause = e;
            }
        }
        if (bodyTooLarge) {
            releaseGathered();
        }
        connectionLost(cause, bodyTooLarge, request.body != null);
    }

    /**
     * Once part of the answer went out the caller's connection is closed (by the server, seeing the head written and
     * no complete answer); while it was still being gathered nothing went out, and the caller is answered 502.
     */
    @Override
    void answerBrokeOff() {
        releaseGathered();
    }

    private void releaseGathered() {
        if (gathered != null) {
            gathered.release();
            gathered = null;
        }
    }

    @Override
    void end() {
        super.end();
        if (reader != null) {
            reader.release();
        }
    }
}
