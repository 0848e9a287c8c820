package io.modelgate.runtime.process;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;

import java.nio.file.Path;

/** {@link LibC} with errors as exceptions that name the call, its subject and strerror. libc loads on first use. */
final class Syscalls {
    static final int ESRCH = 3;

    private static volatile LibC libc;

    private Syscalls() {
    }

    private static LibC libc() throws ContainerException {
        LibC loaded = libc;
        if (loaded == null) {
            synchronized (Syscalls.class) {
                if (libc == null) {
                    try {
                        libc = Native.load("c", LibC.class);
                    } catch (UnsatisfiedLinkError e) {
                        throw new ContainerException("cannot load libc through JNA: " + e.getMessage(), e);
                    }
                }
                loaded = libc;
            }
        }
        return loaded;
    }

    private static ContainerException error(String operation, LastErrorException e) throws ContainerException {
        int errno = e.getErrorCode();
        return new ContainerException(operation + ": " + libc().strerror(errno), errno, e);
    }

    /**
     * Sends a signal to exactly the recorded process: through a pidfd opened while it was still that process, so that a
     * pid recycled in between is never signalled. Fails with errno ESRCH when it is gone.
     */
    static void sendSignal(ProcessId process, int signal) throws ContainerException {
        LibC c = libc();
        int pidfd;
        try {
            pidfd = (int) c.syscall(LibC.SYS_pidfd_open, process.pid(), 0L);
        } catch (LastErrorException e) {
            throw error("pidfd_open " + process.pid(), e);
        }
        try {
            if (!process.isAlive()) {
                throw new ContainerException("pidfd_send_signal " + process.pid() + ": " + c.strerror(ESRCH), ESRCH, null);
            }
            c.syscall(LibC.SYS_pidfd_send_signal, (long) pidfd, (long) signal, 0L, 0L);
        } catch (LastErrorException e) {
            throw error("pidfd_send_signal " + process.pid() + " signal " + signal, e);
        } finally {
            c.close(pidfd);
        }
    }

    static void umountDetach(Path target) throws ContainerException {
        try {
            libc().umount2(target.toString(), LibC.MNT_DETACH);
        } catch (LastErrorException e) {
            throw error("umount " + target, e);
        }
    }
}
