package io.modelgate.gateway.route;

import io.modelgate.gateway.scale.LoadSample;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Turns a changing level (requests in flight plus waiting) into one time-weighted average per second, the samples the
 * autoscaler averages. Not thread-safe: the owning pool calls it under its lock.
 */
final class ConcurrencyRecorder {
    private static final long BUCKET_NANOS = Duration.ofSeconds(1).toNanos();

    private final int retained;
    private final Deque<LoadSample> samples = new ArrayDeque<>();
    private Instant bucketEnd;
    private Instant lastChange;
    private int level;
    private double areaNanos;

    ConcurrencyRecorder(Instant now, int retainedSeconds) {
        this.retained = retainedSeconds;
        this.bucketEnd = now.plusSeconds(1);
        this.lastChange = now;
    }

    void set(Instant now, int newLevel) {
        advance(now);
        level = newLevel;
    }

    int level() {
        return level;
    }

    List<LoadSample> samples(Instant now) {
        advance(now);
        return new ArrayList<>(samples);
    }

    private void advance(Instant now) {
        if (now.isBefore(lastChange)) {
            return; // a clock that went back: keep what we have rather than invent negative time
        }
        long behind = Duration.between(bucketEnd, now).getSeconds();
        if (behind > retained) {
            // a long quiet spell: skip the buckets that would fall out of what is retained anyway
            bucketEnd = bucketEnd.plusSeconds(behind - retained);
            lastChange = bucketEnd.minusSeconds(1);
            areaNanos = 0;
        }
        while (!now.isBefore(bucketEnd)) {
            areaNanos += level * (double) Duration.between(lastChange, bucketEnd).toNanos();
            push(LoadSample.at(bucketEnd, areaNanos / BUCKET_NANOS));
            areaNanos = 0;
            lastChange = bucketEnd;
            bucketEnd = bucketEnd.plusSeconds(1);
        }
        areaNanos += level * (double) Duration.between(lastChange, now).toNanos();
        lastChange = now;
    }

    private void push(LoadSample s) {
        samples.addLast(s);
        while (samples.size() > retained) {
            samples.removeFirst();
        }
    }
}
