package io.modelgate.packager.registry;

import java.util.List;

/**
 * A registry refused a request, could not be reached, or sent content that does not verify. The message names
 * the operation, the registry and what it said (status, error codes from its JSON error body), so a user can act.
 */
public class RegistryException extends RuntimeException {
    private final int status;
    private final List<String> errorCodes;

    RegistryException(String message, int status, List<String> errorCodes, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.errorCodes = List.copyOf(errorCodes);
    }

    RegistryException(String message) {
        this(message, 0, List.of(), null);
    }

    RegistryException(String message, Throwable cause) {
        this(message, 0, List.of(), cause);
    }

    /** The HTTP status the registry answered with, or 0 when there was no answer. */
    public int status() {
        return status;
    }

    /** The error codes of the registry's error body ({@code BLOB_UNKNOWN}, {@code DENIED}, …). */
    public List<String> errorCodes() {
        return errorCodes;
    }

    /** The same failure, its message prefixed by the user-level operation ("push host/iris:1"). */
    RegistryException during(String operation) {
        return new RegistryException(operation + ": " + getMessage(), status, errorCodes, getCause() != null ? getCause() : this);
    }
}
