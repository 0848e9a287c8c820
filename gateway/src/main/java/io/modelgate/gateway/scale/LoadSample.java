package io.modelgate.gateway.scale;

import java.time.Instant;

/** The average number of requests in flight or queued for one model during the second that ended at {@code at}. */
public record LoadSample(Instant at, double concurrency) {
    public LoadSample {
        if (at == null) {
            throw new IllegalArgumentException("sample time is required");
        }
        if (!(concurrency >= 0)) {
            throw new IllegalArgumentException("concurrency must be 0 or more, got " + concurrency);
        }
    }

    public static LoadSample at(Instant at, double concurrency) {
        return new LoadSample(at, concurrency);
    }
}
