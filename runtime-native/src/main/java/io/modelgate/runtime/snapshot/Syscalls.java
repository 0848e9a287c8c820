package io.modelgate.runtime.snapshot;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Memory;
import com.sun.jna.Native;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

/**
 * The libc calls extraction needs, each turning errno into an {@link ErrnoException} that names the operation,
 * the path and strerror. libc is loaded on first use; when it cannot be, or the kernel lacks openat2(2), this
 * fails with a {@link SnapshotException} rather than falling back to path-string checks.
 */
final class Syscalls {
    /** O_DIRECTORY and O_NOFOLLOW differ between x86_64 and the asm-generic architectures. */
    static final int O_DIRECTORY;
    static final int O_NOFOLLOW;

    static {
        String arch = System.getProperty("os.arch");
        switch (arch) {
            case "amd64", "x86_64" -> {
                O_DIRECTORY = 0200000;
                O_NOFOLLOW = 0400000;
            }
            case "aarch64", "arm64", "riscv64" -> {
                O_DIRECTORY = 040000;
                O_NOFOLLOW = 0100000;
            }
            default -> {
                O_DIRECTORY = 0;
                O_NOFOLLOW = 0;
            }
        }
    }

    /** How every path inside a snapshot root is resolved: never above it, never through /proc magic links or mounts. */
    static final long RESOLVE_INSIDE = LibC.RESOLVE_BENEATH | LibC.RESOLVE_NO_MAGICLINKS | LibC.RESOLVE_NO_XDEV;
    /** As {@link #RESOLVE_INSIDE}, and no symlink at all is followed. */
    static final long RESOLVE_INSIDE_NO_SYMLINKS = RESOLVE_INSIDE | LibC.RESOLVE_NO_SYMLINKS;

    private static final int CHUNK = 64 * 1024;
    /** openat2 answers EAGAIN when a concurrent rename or mount elsewhere might have raced the lookup. */
    private static final int EAGAIN_RETRIES = 32;

    private Syscalls() {
    }

    private static final class Holder {
        static final LibC LIBC = load();
        static final String OPENAT2_MISSING = probeOpenat2();

        private static LibC load() {
            if (O_DIRECTORY == 0) {
                throw new SnapshotException("layer extraction supports Linux on x86_64, aarch64 and riscv64, not "
                        + System.getProperty("os.arch"));
            }
            try {
                // Tar names are decoded as UTF-8; JNA would otherwise encode them in the platform charset (ASCII under LANG=C).
                return Native.load("c", LibC.class, Map.of(Library.OPTION_STRING_ENCODING, StandardCharsets.UTF_8.name()));
            } catch (UnsatisfiedLinkError e) {
                throw new SnapshotException("cannot load libc through JNA (" + e.getMessage()
                        + "); the runtime needs glibc on Linux", e);
            }
        }

        /** Null when openat2 works, else why not. */
        private static String probeOpenat2() {
            try {
                int fd = openat2Once(LIBC, LibC.AT_FDCWD, "/", LibC.O_PATH | LibC.O_CLOEXEC, 0);
                LIBC.close(fd);
                return null;
            } catch (LastErrorException e) {
                return e.getErrorCode() == LibC.ENOSYS
                        ? "openat2(2) is not available on this kernel (" + System.getProperty("os.version")
                                + "; it needs Linux 5.6 or newer): modelgate will not unpack layers without it, since only"
                                + " the kernel can confine paths to the snapshot root; run on a newer kernel"
                        : "openat2(2) fails here with '" + LIBC.strerror(e.getErrorCode()) + "' (a seccomp filter may block it):"
                                + " modelgate will not unpack layers without it; allow openat2 for the runtime";
            }
        }
    }

    static LibC libc() {
        return Holder.LIBC;
    }

    /** Fails with an error saying what to do when layers cannot be unpacked safely on this machine. */
    static void requireOpenat2() {
        String missing = Holder.OPENAT2_MISSING;
        if (missing != null) {
            throw new SnapshotException(missing);
        }
    }

    private static ErrnoException error(String operation, String path, LastErrorException e) {
        int errno = e.getErrorCode();
        return new ErrnoException(operation, path, errno, libc().strerror(errno));
    }

    private static int openat2Once(LibC libc, int dirfd, String path, int flags, long resolve) {
        try (Memory how = new Memory(LibC.OPEN_HOW_SIZE)) {
            how.setLong(0, flags & 0xffffffffL);
            how.setLong(8, 0);
            how.setLong(16, resolve);
            return (int) libc.syscall(LibC.SYS_openat2, (long) dirfd, path, how, (long) LibC.OPEN_HOW_SIZE);
        }
    }

    /** openat2(2) without O_CREAT: opens an existing {@code path} relative to {@code dirfd}, resolved as {@code resolve} says. */
    static int openat2(int dirfd, String path, int flags, long resolve) throws ErrnoException {
        requireOpenat2();
        for (int attempt = 0; ; attempt++) {
            try {
                return openat2Once(libc(), dirfd, path, flags | LibC.O_CLOEXEC, resolve);
            } catch (LastErrorException e) {
                if (e.getErrorCode() != LibC.EAGAIN || attempt >= EAGAIN_RETRIES) {
                    throw error("openat2", path, e);
                }
            }
        }
    }

    /** Opens a directory the caller trusts (one it created) by absolute path, not following a final symlink. */
    static int openDirectory(Path dir) throws ErrnoException {
        try {
            return libc().open(dir.toString(), LibC.O_RDONLY | O_DIRECTORY | O_NOFOLLOW | LibC.O_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw error("open", dir.toString(), e);
        }
    }

    /** Creates a new regular file {@code name} in {@code dirfd} (O_EXCL, O_NOFOLLOW), open for writing. */
    static int createFile(int dirfd, String name) throws ErrnoException {
        try {
            return libc().openat(dirfd, name, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_EXCL | O_NOFOLLOW | LibC.O_CLOEXEC, 0600);
        } catch (LastErrorException e) {
            throw error("openat", name, e);
        }
    }

    static void mkdirat(int dirfd, String name, int mode) throws ErrnoException {
        try {
            libc().mkdirat(dirfd, name, mode);
        } catch (LastErrorException e) {
            throw error("mkdirat", name, e);
        }
    }

    /** mknodat(2); {@code major}/{@code minor} are encoded as glibc's makedev does. */
    static void mknodat(int dirfd, String name, int mode, int major, int minor) throws ErrnoException {
        long dev = ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
        try {
            libc().mknodat(dirfd, name, mode, dev);
        } catch (LastErrorException e) {
            throw error("mknodat", name, e);
        }
    }

    static void symlinkat(String target, int dirfd, String name) throws ErrnoException {
        try {
            libc().symlinkat(target, dirfd, name);
        } catch (LastErrorException e) {
            throw error("symlinkat", name + " -> " + target, e);
        }
    }

    /** linkat(2) with flags 0: a symlink as target is linked itself, not followed. */
    static void linkat(int olddirfd, String oldname, int newdirfd, String newname) throws ErrnoException {
        try {
            libc().linkat(olddirfd, oldname, newdirfd, newname, 0);
        } catch (LastErrorException e) {
            throw error("linkat", newname + " => " + oldname, e);
        }
    }

    static void unlinkat(int dirfd, String name, boolean directory) throws ErrnoException {
        try {
            libc().unlinkat(dirfd, name, directory ? LibC.AT_REMOVEDIR : 0);
        } catch (LastErrorException e) {
            throw error("unlinkat", name, e);
        }
    }

    /** Renames {@code from} to {@code to} unless {@code to} exists; returns false when it does. */
    static boolean renameNoReplace(Path from, Path to) throws ErrnoException {
        try {
            libc().renameat2(LibC.AT_FDCWD, from.toString(), LibC.AT_FDCWD, to.toString(), LibC.RENAME_NOREPLACE);
            return true;
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.EEXIST || e.getErrorCode() == LibC.ENOTEMPTY) {
                return false;
            }
            throw error("renameat2", from + " -> " + to, e);
        }
    }

    static void fchmod(int fd, int mode, String shown) throws ErrnoException {
        try {
            libc().fchmod(fd, mode);
        } catch (LastErrorException e) {
            throw error("fchmod", shown, e);
        }
    }

    /**
     * chmod(2) of what an O_PATH descriptor names, through its /proc/self/fd link: the link names the inode the
     * descriptor already holds, so nothing is resolved again (fchmod refuses O_PATH descriptors).
     */
    static void chmodProcFd(int fd, int mode, String shown) throws ErrnoException {
        try {
            libc().chmod("/proc/self/fd/" + fd, mode);
        } catch (LastErrorException e) {
            throw error("chmod", shown, e);
        }
    }

    static void fchown(int fd, long uid, long gid, String shown) throws ErrnoException {
        try {
            libc().fchown(fd, (int) uid, (int) gid);
        } catch (LastErrorException e) {
            throw error("fchown", shown, e);
        }
    }

    /** fchownat(2) with AT_SYMLINK_NOFOLLOW: changes a symlink itself. */
    static void lchownat(int dirfd, String name, long uid, long gid) throws ErrnoException {
        try {
            libc().fchownat(dirfd, name, (int) uid, (int) gid, LibC.AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw error("fchownat", name, e);
        }
    }

    static void futimens(int fd, FileTime atime, FileTime mtime, String shown) throws ErrnoException {
        try (Memory times = timespecs(atime, mtime)) {
            libc().futimens(fd, times);
        } catch (LastErrorException e) {
            throw error("futimens", shown, e);
        }
    }

    /** utimensat(2) with AT_SYMLINK_NOFOLLOW: sets a symlink's own times. */
    static void lutimensat(int dirfd, String name, FileTime atime, FileTime mtime) throws ErrnoException {
        try (Memory times = timespecs(atime, mtime)) {
            libc().utimensat(dirfd, name, times, LibC.AT_SYMLINK_NOFOLLOW);
        } catch (LastErrorException e) {
            throw error("utimensat", name, e);
        }
    }

    private static Memory timespecs(FileTime atime, FileTime mtime) {
        Memory times = new Memory(32);
        Instant a = atime.toInstant();
        Instant m = mtime.toInstant();
        times.setLong(0, a.getEpochSecond());
        times.setLong(8, a.getNano());
        times.setLong(16, m.getEpochSecond());
        times.setLong(24, m.getNano());
        return times;
    }

    static void fsetxattr(int fd, String name, byte[] value, String shown) throws ErrnoException {
        try {
            libc().fsetxattr(fd, name, value, value.length, 0);
        } catch (LastErrorException e) {
            throw error("fsetxattr " + name, shown, e);
        }
    }

    /** What lstat says about {@code name} in {@code dirfd}: its st_mode and, for devices, st_rdev. */
    record Stat(int mode, int rdevMajor, int rdevMinor) {
        int type() {
            return mode & LibC.S_IFMT;
        }

        boolean isDirectory() {
            return type() == LibC.S_IFDIR;
        }

        /** An overlay whiteout: a character device 0/0. */
        boolean isWhiteout() {
            return type() == LibC.S_IFCHR && rdevMajor == 0 && rdevMinor == 0;
        }
    }

    /** statx(2) of {@code name} in {@code dirfd}, not following a final symlink; null when there is no such entry. */
    static Stat lstatIfExists(int dirfd, String name) throws ErrnoException {
        try (Memory buf = new Memory(LibC.STATX_SIZE)) {
            libc().statx(dirfd, name, LibC.AT_SYMLINK_NOFOLLOW, LibC.STATX_BASIC_STATS, buf);
            return new Stat(buf.getShort(LibC.STATX_MODE_OFFSET) & 0xffff, buf.getInt(LibC.STATX_RDEV_MAJOR_OFFSET),
                    buf.getInt(LibC.STATX_RDEV_MINOR_OFFSET));
        } catch (LastErrorException e) {
            if (e.getErrorCode() == LibC.ENOENT) {
                return null;
            }
            throw error("statx", name, e);
        }
    }

    /** Copies {@code in} to {@code fd} with write(2) in 64 KiB chunks; returns the bytes written. */
    static long writeAll(int fd, InputStream in, String shown) throws IOException {
        byte[] chunk = new byte[CHUNK];
        long total = 0;
        try (Memory buf = new Memory(CHUNK)) {
            int n;
            while ((n = in.read(chunk)) > 0) {
                buf.write(0, chunk, 0, n);
                int off = 0;
                while (off < n) {
                    try {
                        off += (int) libc().write(fd, buf.share(off), n - off);
                    } catch (LastErrorException e) {
                        if (e.getErrorCode() != 4) { // EINTR
                            throw error("write", shown, e);
                        }
                    }
                }
                total += n;
            }
        }
        return total;
    }

    static void syncfs(int fd, String shown) throws ErrnoException {
        try {
            libc().syncfs(fd);
        } catch (LastErrorException e) {
            throw error("syncfs", shown, e);
        }
    }

    static void close(int fd) {
        if (fd >= 0) {
            try {
                libc().close(fd);
            } catch (LastErrorException ignored) {
                // Nothing to do about a failed close of a descriptor only read from or already synced.
            }
        }
    }
}
