package io.modelgate.gateway.route;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeoutException;

/**
 * What a call to a replica is, whichever port's server made it ({@link ReplicaProxy} on the main port,
 * {@link ForwardedCall} on the inference port): where it stands, the pooled connection it got, its deadline, the one
 * retry of a request that met a kept-alive connection the replica had closed, and how it ends when the connection
 * is lost or the replica stays silent. The caller's side of the answer is the subclass's.
 */
abstract class ReplicaExchange extends ReplicaConnections.User {
    /** Where a call is: in line for a connection, sent and waiting for the answer's head, answering, or over. */
    enum State { WAITING, SENT, ANSWERING, OVER }

    final CompletableFuture<ReplicaProxy.Exchange> done = new CompletableFuture<>();
    final Endpoint endpoint;
    final Duration timeout;
    final long timeoutNanos;
    private final long connectionWaitNanos;
    ReplicaConnections connections;
    ReplicaConnections.Connection connection;
    State state = State.WAITING;
    /** The connection carried an answer before; the request was sent once more already. */
    private boolean reused;
    private boolean again;
    /** The replica is not read while the caller's write queue is full (its silence is then not the replica's). */
    boolean heldBack;

    ReplicaExchange(Endpoint endpoint, Duration timeout, Duration connectionWait) {
        this.endpoint = endpoint;
        this.timeout = timeout;
        this.timeoutNanos = timeout.toNanos();
        this.connectionWaitNanos = connectionWait.toNanos();
    }

    /** Asks the event loop's {@code connections} for a connection to the replica. */
    void start(ReplicaConnections connections) {
        this.connections = connections;
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

    /**
     * Takes the connection {@link #connected} offers and marks the request sent; false when the call gave up waiting
     * just as it came (the connection goes back, for the next caller).
     */
    boolean take(ReplicaConnections.Connection connection, boolean reused) {
        if (state != State.WAITING) {
            connection.release(true);
            return false;
        }
        this.connection = connection;
        this.reused = reused;
        state = State.SENT;
        return true;
    }

    /**
     * The connection closed or failed under the call: an upload cut off at the body limit, a request sent once more
     * when a reused connection closed without a byte of answer and the body can be sent again ({@code replayable}),
     * else a failure before the answer, or an answer broken off.
     */
    void connectionLost(Throwable cause, boolean bodyTooLarge, boolean replayable) {
        if (state == State.OVER) {
            return;
        }
        State was = state;
        end();
        if (bodyTooLarge) {
            done.complete(ReplicaProxy.Exchange.BODY_TOO_LARGE);
        } else if (was == State.SENT) {
            if (!again && reused && replayable && !connection.heard) {
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

    /** The answer began and broke off: the caller's side is dealt with ({@link #answerBrokeOff}), and the call fails. */
    final void brokeOff(String why, Throwable cause) {
        answerBrokeOff();
        done.completeExceptionally(new ReplicaProxy.BrokeOffException("replica " + endpoint.id()
                + " broke off its answer: " + why, cause));
    }

    /** What the caller is left with when the answer broke off: whatever of it went out must not look complete. */
    abstract void answerBrokeOff();

    /** The call is over: later events on its connection, body or caller are no longer its own. */
    void end() {
        state = State.OVER;
        heldBack = false;
        if (connection != null && connection.user == this) {
            connection.user = null;
        }
    }
}
