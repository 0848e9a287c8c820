package io.modelgate.runtime.process;

import java.io.IOException;

/** A container operation failed; the message names the container, the step and the reason. */
public final class ContainerException extends IOException {
    private static final long serialVersionUID = 1L;

    private final int errno;

    public ContainerException(String message) {
        this(message, 0, null);
    }

    public ContainerException(String message, Throwable cause) {
        this(message, 0, cause);
    }

    public ContainerException(String message, int errno, Throwable cause) {
        super(message, cause);
        this.errno = errno;
    }

    /** The errno behind the failure, 0 when there is none. */
    public int errno() {
        return errno;
    }
}
