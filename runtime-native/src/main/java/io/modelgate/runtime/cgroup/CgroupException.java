package io.modelgate.runtime.cgroup;

/** A cgroup operation the kernel or the host's layout refused; the message names the file and what to do. */
public class CgroupException extends RuntimeException {
    public CgroupException(String message) {
        super(message);
    }

    public CgroupException(String message, Throwable cause) {
        super(message, cause);
    }
}
