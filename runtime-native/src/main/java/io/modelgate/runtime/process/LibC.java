package io.modelgate.runtime.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;

/**
 * Raw libc through JNA, under the C names so that the man pages apply. Only calls that are safe from a
 * multithreaded JVM; anything touching namespaces runs in mg-monitor or mg-exec. Use through {@link Syscalls}.
 */
interface LibC extends Library {
    /** x86_64 and aarch64 share these numbers (the unified syscall table from Linux 5.1 on). */
    long SYS_pidfd_send_signal = 424;
    long SYS_pidfd_open = 434;
    int MNT_DETACH = 2;

    long syscall(long number, Object... args) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    int umount2(String target, int flags) throws LastErrorException;

    String strerror(int errnum);
}
