package io.modelgate.packager.store;

/** Content whose sha256 is not the digest it was announced under: corrupt, truncated or tampered with. */
public class DigestMismatchException extends RuntimeException {
    public DigestMismatchException(String message) {
        super(message);
    }
}
