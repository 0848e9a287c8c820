package io.modelgate.runtime.gpu;

/**
 * A request for GPUs that cannot be met now: too few free, a named GPU in use or unknown, or no GPU at all. The
 * message names the container, what it asked for, what is free and who holds the rest.
 */
public class GpuUnavailableException extends GpuException {
    public GpuUnavailableException(String message) {
        super(message);
    }
}
