package io.modelgate.runtime.snapshot;

/** Why one tar entry is refused, phrased to follow "entry NAME": e.g. "escapes the root". */
final class Refusal extends Exception {
    Refusal(String reason) {
        super(reason, null, false, false);
    }
}
