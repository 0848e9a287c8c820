package io.modelgate.gateway.route;

import io.netty.channel.AbstractEventLoopGroup;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Some of another group's event loops, taken in turn for new channels: the inference port uses as many of Vert.x's loops
 * as the main port does ({@code quarkus.http.io-threads}). The loops belong to Vert.x, which shuts them down; shutting
 * this view down does nothing.
 */
final class EventLoops extends AbstractEventLoopGroup {
    private final List<EventLoop> loops;
    private int next;

    /** The first {@code count} loops of {@code group} (all of them when it has fewer). */
    static EventLoopGroup first(EventLoopGroup group, int count) {
        List<EventLoop> loops = new ArrayList<>();
        for (EventExecutor e : group) {
            if (loops.size() < count) {
                loops.add((EventLoop) e);
            }
        }
        return new EventLoops(loops);
    }

    private EventLoops(List<EventLoop> loops) {
        this.loops = List.copyOf(loops);
    }

    @Override
    public synchronized EventLoop next() {
        EventLoop loop = loops.get(next);
        next = (next + 1) % loops.size();
        return loop;
    }

    @Override
    public ChannelFuture register(Channel channel) {
        return next().register(channel);
    }

    @Override
    public ChannelFuture register(ChannelPromise promise) {
        return next().register(promise);
    }

    @Override
    @Deprecated
    public ChannelFuture register(Channel channel, ChannelPromise promise) {
        return next().register(channel, promise);
    }

    @Override
    @SuppressWarnings({"unchecked", "rawtypes"})
    public Iterator<EventExecutor> iterator() {
        return (Iterator) loops.iterator();
    }

    @Override
    public Future<?> shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
        return terminationFuture();
    }

    @Override
    public Future<?> terminationFuture() {
        return loops.get(0).parent().terminationFuture();
    }

    @Override
    @Deprecated
    public void shutdown() {
    }

    @Override
    public boolean isShuttingDown() {
        return loops.get(0).isShuttingDown();
    }

    @Override
    public boolean isShutdown() {
        return loops.get(0).isShutdown();
    }

    @Override
    public boolean isTerminated() {
        return loops.get(0).isTerminated();
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return loops.get(0).awaitTermination(timeout, unit);
    }
}
