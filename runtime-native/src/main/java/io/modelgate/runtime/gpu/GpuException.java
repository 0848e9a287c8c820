package io.modelgate.runtime.gpu;

/** GPU set-up that cannot go on (an unreadable CDI spec, a device that cannot be read); the message says what to fix. */
public class GpuException extends RuntimeException {
    public GpuException(String message) {
        super(message);
    }

    public GpuException(String message, Throwable cause) {
        super(message, cause);
    }
}
