package io.modelgate.gateway.testing;

import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Polls a condition of the system under test; prints how long it took, as these waits are the figures of interest. */
public final class Await {
    private Await() {
    }

    /** Returns once {@code condition} holds; fails, naming {@code what}, if it does not within {@code seconds}. */
    public static void until(String what, int seconds, BooleanSupplier condition) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                System.out.printf("%s after %d ms%n", what, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
                return;
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        assertThat(condition.getAsBoolean()).as(what + " within " + seconds + " s").isTrue();
    }
}
