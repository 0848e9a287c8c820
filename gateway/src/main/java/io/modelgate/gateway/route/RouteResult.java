package io.modelgate.gateway.route;

import java.time.Duration;

/** What became of one routed call; the HTTP layer maps each case to a status. */
public sealed interface RouteResult<T> {
    /** The replica answered (whatever it answered). */
    record Served<T>(T value, Endpoint endpoint) implements RouteResult<T> {
    }

    /** Every replica is at its limit and the wait queue is full or the wait timed out: 503 with Retry-After. */
    record Overloaded<T>(String reason, Duration retryAfter) implements RouteResult<T> {
    }

    /** No replica became ready in time (scale from zero, or all ejected): 503 with Retry-After. */
    record NoReplicas<T>(String reason, Duration retryAfter) implements RouteResult<T> {
    }

    /** The router knows no such model: 404. */
    record UnknownModel<T>(String model) implements RouteResult<T> {
    }

    /** The request never reached any replica, after trying each once: 502. */
    record Unreachable<T>(String reason, Exception cause) implements RouteResult<T> {
    }

    /** The call reached a replica ({@code endpoint}) and then broke (reset mid-answer, timeout): 502, not retried. */
    record Failed<T>(String reason, Exception cause, Endpoint endpoint) implements RouteResult<T> {
    }
}
