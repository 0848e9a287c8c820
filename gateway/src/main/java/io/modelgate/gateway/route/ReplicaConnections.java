package io.modelgate.gateway.route;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One event loop's keep-alive HTTP/1.1 connections to replicas, opened with Netty on that loop (on Vert.x's transport:
 * epoll where it is available) and touched only by its thread: no locks, no hop to another thread, and a call's
 * answer arrives on the loop that holds its caller's connection.
 *
 * <p>At most {@code maxPerReplica} connections per replica; a call that finds them all busy waits in line. Deadlines
 * (a replica's silence, a wait for a connection, a kept-alive connection's idle life) are not one timer per call but a
 * sweep of this loop's calls every {@value #SWEEP_MILLIS} ms while there is anything to watch.
 */
final class ReplicaConnections {
    private static final Logger LOG = Logger.getLogger(ReplicaConnections.class);
    /** How often deadlines are checked: a timeout fires up to this much late. */
    static final long SWEEP_MILLIS = 20;

    private final EventLoop loop;
    private final Bootstrap bootstrap;
    private final int maxPerReplica;
    private final long keepAliveNanos;
    private final boolean decodesHttp;
    private final Map<Endpoint, Replica> replicas = new HashMap<>();
    /** Users with a deadline: in flight or waiting for a connection. Finished ones leave at the next sweep. */
    private final List<User> watched = new ArrayList<>();
    private ScheduledFuture<?> sweeper;

    ReplicaConnections(EventLoop loop, ChannelFactory<? extends Channel> channels, int maxPerReplica,
                       int connectTimeoutMillis, long keepAliveNanos, boolean decodesHttp) {
        this.loop = loop;
        this.decodesHttp = decodesHttp;
        this.maxPerReplica = maxPerReplica;
        this.keepAliveNanos = keepAliveNanos;
        this.bootstrap = new Bootstrap().group(loop).channelFactory(channels)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis);
    }

    /**
     * Who uses a connection, and is told what happens on it: the replica's answer (as Netty decodes it when the
     * connections decode HTTP, else its bytes), the connection's end, its writability. Every method runs on the loop.
     */
    abstract static class User {
        /** The deadline the sweep holds this user to (System.nanoTime()); a user may move it on. */
        long deadline;
        boolean watched;

        /** A connection for this user: {@code reused} when it carried an answer before. */
        abstract void connected(Connection connection, boolean reused);

        /** No connection could be opened: the replica never saw the call. */
        abstract void notConnected(Throwable cause);

        /** One piece of the answer: an HttpObject when the connections decode HTTP, else a ByteBuf; the user releases it. */
        abstract void read(Object piece);

        /** The connection closed or failed while this user held it. */
        abstract void lost(Throwable cause);

        /** The connection can take more writes (or can no longer): for a body streamed to the replica. */
        void writability(boolean writable) {
        }

        /** The sweep found the deadline passed. */
        abstract void expired();

        /** Finished: the sweep forgets it. */
        abstract boolean finished();
    }

    /** A connection to one replica: its channel, and who uses it now (none while it is pooled). */
    final class Connection extends ChannelInboundHandlerAdapter {
        final Replica replica;
        Channel channel;
        User user;
        boolean answeredBefore;
        /** Whether anything came from the replica since its current user got it (then it took the request). */
        boolean heard;
        long idleSince;
        private Throwable failure;

        Connection(Replica replica) {
            this.replica = replica;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            heard = true;
            if (user != null) {
                if (msg instanceof HttpObject piece && piece.decoderResult().isFailure()) {
                    ReferenceCountUtil.release(msg);
                    failure = piece.decoderResult().cause();
                    ctx.close();
                    return;
                }
                user.read(msg);
            } else {
                // bytes nobody asked for (a pooled connection): the connection is out of step, drop it
                ReferenceCountUtil.release(msg);
                ctx.close();
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (user != null) {
                user.writability(ctx.channel().isWritable());
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = cause;
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed(this, failure);
        }

        /** Gives the connection back: pooled for the next call when {@code reusable}, closed otherwise. */
        void release(boolean reusable) {
            user = null;
            if (!reusable || !channel.isActive()) {
                channel.close();
                return;
            }
            answeredBefore = true;
            channel.config().setAutoRead(true);
            User next = replica.waiters.poll();
            if (next != null) {
                use(this, next, true);
            } else {
                idleSince = System.nanoTime();
                replica.idle.push(this);
            }
        }
    }

    /** One replica's connections: idle ones (most recently used first), how many are open, who waits for one. */
    private final class Replica {
        final Endpoint endpoint;
        /** Resolved once (replicas are addressed by IP; a name is looked up here, not on every connect). */
        final InetSocketAddress address;
        final ArrayDeque<Connection> idle = new ArrayDeque<>();
        final ArrayDeque<User> waiters = new ArrayDeque<>();
        int open;

        Replica(Endpoint endpoint) {
            this.endpoint = endpoint;
            this.address = new InetSocketAddress(endpoint.base().getHost(),
                    endpoint.base().getPort() == -1 ? 80 : endpoint.base().getPort());
        }
    }

    /**
     * Finds {@code user} a connection to {@code endpoint}: an idle one, a new one while fewer than the limit are
     * open, or else a place in line until one comes free or {@code waitNanos} pass ({@link User#expired()}).
     */
    void acquire(Endpoint endpoint, User user, long waitNanos) {
        Replica replica = replicas.computeIfAbsent(endpoint, Replica::new);
        Connection idle;
        while ((idle = replica.idle.poll()) != null) {
            if (idle.channel.isActive()) {
                use(idle, user, true);
                return;
            }
        }
        if (replica.open < maxPerReplica) {
            connect(replica, user);
        } else {
            replica.waiters.add(user);
            watch(user, System.nanoTime() + waitNanos);
        }
    }

    /** Takes a user out of line (its wait ran out). */
    void leaveLine(Endpoint endpoint, User user) {
        Replica replica = replicas.get(endpoint);
        if (replica != null) {
            replica.waiters.remove(user);
            forgetIfUnused(replica);
        }
    }

    /** Holds {@code user} to {@code deadline} from now on, checked by the sweep. */
    void watch(User user, long deadline) {
        user.deadline = deadline;
        if (!user.watched) {
            user.watched = true;
            watched.add(user);
        }
        if (sweeper == null) {
            sweeper = loop.scheduleAtFixedRate(this::sweep, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private void use(Connection connection, User user, boolean reused) {
        connection.user = user;
        connection.heard = false;
        user.connected(connection, reused && connection.answeredBefore);
    }

    private void connect(Replica replica, User user) {
        replica.open++;
        Connection connection = new Connection(replica);
        ChannelFuture connecting = bootstrap.clone().handler(new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                if (decodesHttp) {
                    // requests are built from headers the server side already checked: no second validation
                    channel.pipeline().addLast(new HttpClientCodec(4096, 8192, 8192, false, false));
                }
                channel.pipeline().addLast(connection);
            }
        }).connect(replica.address);
        connection.channel = connecting.channel();
        connecting.addListener(done -> {
            if (done.isSuccess()) {
                use(connection, user, false);
            } else {
                // channelInactive never comes for a channel that did not connect. Those in line would meet the same
                // refusal: they hear of it now (never reached, so the router may try another replica), not when
                // their wait runs out
                replica.open--;
                List<User> waiting = new ArrayList<>(replica.waiters);
                replica.waiters.clear();
                forgetIfUnused(replica);
                user.notConnected(done.cause());
                waiting.forEach(w -> w.notConnected(done.cause()));
            }
        });
    }

    /** A connection's channel is gone: it leaves the pool; its user, if any, hears of it; a waiter gets a new one. */
    private void closed(Connection connection, Throwable failure) {
        Replica replica = connection.replica;
        replica.open--;
        replica.idle.remove(connection);
        User user = connection.user;
        connection.user = null;
        if (user != null) {
            user.lost(failure != null ? failure : new IOException("the replica closed the connection"));
        }
        User next = replica.waiters.poll();
        if (next != null) {
            connect(replica, next);
        } else {
            forgetIfUnused(replica);
        }
    }

    private void forgetIfUnused(Replica replica) {
        if (replica.open == 0 && replica.waiters.isEmpty()) {
            replicas.remove(replica.endpoint, replica);
        }
    }

    private void sweep() {
        long now = System.nanoTime();
        // compacted in place; a call that expired() starts is appended and met later in the same pass
        int kept = 0;
        for (int i = 0; i < watched.size(); i++) {
            User user = watched.get(i);
            if (user.finished()) {
                user.watched = false;
            } else if (now - user.deadline >= 0) {
                user.watched = false;
                try {
                    user.expired();
                } catch (RuntimeException e) {
                    // one call's failure must not stop the sweep: the loop's other deadlines depend on it
                    LOG.errorf(e, "expiring a call to a replica failed");
                }
            } else {
                watched.set(kept++, user);
            }
        }
        watched.subList(kept, watched.size()).clear();
        List<Connection> stale = new ArrayList<>();
        for (Replica replica : replicas.values()) {
            Connection oldest;
            while ((oldest = replica.idle.peekLast()) != null && now - oldest.idleSince >= keepAliveNanos) {
                stale.add(replica.idle.pollLast());
            }
        }
        stale.forEach(c -> c.channel.close()); // not while iterating: a close may forget its replica
        if (watched.isEmpty() && replicas.isEmpty()) {
            sweeper.cancel(false);
            sweeper = null;
        }
    }
}
