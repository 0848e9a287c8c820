package io.modelgate.runtime.snapshot;

import java.io.IOException;

/** A failed libc call: which operation, on which path, and what errno said (strerror). */
final class ErrnoException extends IOException {
    private final String operation;
    private final String path;
    private final int errno;

    ErrnoException(String operation, String path, int errno, String strerror) {
        super(operation + " " + path + ": " + strerror);
        this.operation = operation;
        this.path = path;
        this.errno = errno;
    }

    String operation() {
        return operation;
    }

    String path() {
        return path;
    }

    int errno() {
        return errno;
    }
}
