package io.modelgate.gateway.route;

import io.netty.channel.EventLoop;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The per-loop connection pool on a real event loop, against real sockets. */
class ReplicaConnectionsTest {
    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private final EventLoop loop = group.next();
    private final List<String> heard = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** A user that writes down what it is told, and counts down when its call is settled either way. */
    private class Recorder extends ReplicaConnections.User {
        final String name;
        final CountDownLatch settled = new CountDownLatch(1);
        boolean over;

        Recorder(String name) {
            this.name = name;
        }

        @Override
        void connected(ReplicaConnections.Connection connection, boolean reused) {
            heard.add(name + " connected");
            over = true;
            settled.countDown();
        }

        @Override
        void notConnected(Throwable cause) {
            heard.add(name + " not connected");
            over = true;
            settled.countDown();
        }

        @Override
        void read(Object piece) {
        }

        @Override
        void lost(Throwable cause) {
        }

        @Override
        void expired() {
            heard.add(name + " expired");
            over = true;
            settled.countDown();
        }

        @Override
        boolean finished() {
            return over;
        }
    }

    @Test
    void a_refused_connection_is_reported_at_once_to_the_calls_waiting_in_line_too() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        Endpoint gone = Endpoint.of("gone", URI.create("http://127.0.0.1:" + closedPort + "/"));
        Recorder first = new Recorder("first");
        Recorder second = new Recorder("second");
        long start = System.nanoTime();
        loop.execute(() -> {
            // one connection allowed: the first call connects, the second waits in line for it (up to 5 s)
            ReplicaConnections pool = new ReplicaConnections(loop, NioSocketChannel::new, 1, 2_000,
                    TimeUnit.SECONDS.toNanos(20), true);
            pool.acquire(gone, first, TimeUnit.SECONDS.toNanos(5));
            pool.acquire(gone, second, TimeUnit.SECONDS.toNanos(5));
        });
        assertThat(first.settled.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(second.settled.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(heard).containsExactly("first not connected", "second not connected");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start))
                .as("the call in line heard of the refusal, not of its wait running out").isLessThan(4_000);
    }

    @Test
    void a_call_in_line_gets_the_connection_the_call_before_it_gives_back() throws Exception {
        try (ServerSocket replica = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            Endpoint up = Endpoint.of("up", URI.create("http://127.0.0.1:" + replica.getLocalPort() + "/"));
            CountDownLatch firstConnected = new CountDownLatch(1);
            ReplicaConnections.Connection[] held = new ReplicaConnections.Connection[1];
            Recorder second = new Recorder("second");
            ReplicaConnections[] pool = new ReplicaConnections[1];
            ReplicaConnections.User first = new Recorder("first") {
                @Override
                void connected(ReplicaConnections.Connection connection, boolean reused) {
                    held[0] = connection;
                    firstConnected.countDown();
                }
            };
            loop.execute(() -> {
                pool[0] = new ReplicaConnections(loop, NioSocketChannel::new, 1, 2_000, TimeUnit.SECONDS.toNanos(20), true);
                pool[0].acquire(up, first, TimeUnit.SECONDS.toNanos(5));
                pool[0].acquire(up, second, TimeUnit.SECONDS.toNanos(5));
            });
            assertThat(firstConnected.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(heard).isEmpty();
            loop.execute(() -> held[0].release(true));
            assertThat(second.settled.await(5, TimeUnit.SECONDS)).isTrue();
            assertThat(heard).containsExactly("second connected");
            replica.setSoTimeout(1_000);
            replica.accept().close();
            assertThatThrownBy(replica::accept).as("one connection was opened, and only one")
                    .isInstanceOf(SocketTimeoutException.class);
        }
    }
}
