package io.modelgate.server.batch;

import java.time.Duration;
import java.util.Objects;

/**
 * When to run a batch: once it holds {@code maxBatchSize} rows (the sum of the requests' first
 * dimensions), or {@code maxDelay} after its first request arrived, whichever comes first.
 */
public record BatchPolicy(int maxBatchSize, Duration maxDelay) {

  public BatchPolicy {
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxBatchSize < 2) {
      throw new IllegalArgumentException("max batch size must be at least 2 to batch anything, got " + maxBatchSize);
    }
    if (maxDelay.isNegative() || maxDelay.compareTo(Duration.ofSeconds(10)) > 0) {
      throw new IllegalArgumentException("max batch delay must be from 0 to 10000 ms, got " + maxDelay.toMillis() + " ms");
    }
  }

  public static BatchPolicy of(int maxBatchSize, Duration maxDelay) {
    return new BatchPolicy(maxBatchSize, maxDelay);
  }
}
