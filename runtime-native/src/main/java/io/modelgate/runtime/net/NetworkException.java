package io.modelgate.runtime.net;

/** A network operation that failed; the message names the step, the device and what the kernel said. */
public class NetworkException extends RuntimeException {
    public NetworkException(String message) {
        super(message);
    }

    public NetworkException(String message, Throwable cause) {
        super(message, cause);
    }
}
