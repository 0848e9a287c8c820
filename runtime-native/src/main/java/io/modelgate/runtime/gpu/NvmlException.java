package io.modelgate.runtime.gpu;

/** NVML could not be loaded or refused a call; the message names the library or the call and NVML's reason. */
public class NvmlException extends RuntimeException {
    public NvmlException(String message) {
        super(message);
    }

    public NvmlException(String message, Throwable cause) {
        super(message, cause);
    }
}
