package io.modelgate.runtime.snapshot;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Pointer;

/**
 * Raw libc bindings for layer extraction. Names, argument order and constants are those of the C API, so the
 * man pages apply; {@link Syscalls} turns errno into exceptions. Only 64-bit Linux (x86_64, aarch64) is
 * supported: {@code long} stands for {@code size_t}, {@code ssize_t} and {@code dev_t}.
 */
interface LibC extends Library {
    int AT_FDCWD = -100;
    int AT_SYMLINK_NOFOLLOW = 0x100;
    int AT_REMOVEDIR = 0x200;

    int O_RDONLY = 0;
    int O_WRONLY = 1;
    int O_CREAT = 0100;
    int O_EXCL = 0200;
    int O_CLOEXEC = 02000000;
    int O_PATH = 010000000;

    /** openat2(2), the same number on every architecture since Linux 5.6 (asm-generic and x86_64 alike). */
    long SYS_openat2 = 437;
    /** {@code struct open_how} is three {@code __u64}: flags, mode, resolve. */
    int OPEN_HOW_SIZE = 24;
    long RESOLVE_NO_XDEV = 0x01;
    long RESOLVE_NO_MAGICLINKS = 0x02;
    long RESOLVE_NO_SYMLINKS = 0x04;
    long RESOLVE_BENEATH = 0x08;

    int RENAME_NOREPLACE = 1;

    int S_IFMT = 0170000;
    int S_IFIFO = 0010000;
    int S_IFCHR = 0020000;
    int S_IFDIR = 0040000;
    int S_IFREG = 0100000;
    int S_IFLNK = 0120000;

    int STATX_BASIC_STATS = 0x7ff;
    /** {@code struct statx} is 256 bytes with the same layout on every architecture. */
    int STATX_SIZE = 256;
    int STATX_MODE_OFFSET = 28;
    int STATX_RDEV_MAJOR_OFFSET = 128;
    int STATX_RDEV_MINOR_OFFSET = 132;

    int EPERM = 1;
    int ENOENT = 2;
    int EAGAIN = 11;
    int EEXIST = 17;
    int EXDEV = 18;
    int ENOTDIR = 20;
    int EISDIR = 21;
    int ENOSYS = 38;
    int ENOTEMPTY = 39;
    int ELOOP = 40;

    /** syscall(2), here only for openat2: {@code syscall(SYS_openat2, dirfd, path, &how, sizeof how)}. */
    long syscall(long number, Object... args) throws LastErrorException;

    int open(String pathname, int flags, int mode) throws LastErrorException;

    int openat(int dirfd, String pathname, int flags, int mode) throws LastErrorException;

    int close(int fd) throws LastErrorException;

    long write(int fd, Pointer buf, long count) throws LastErrorException;

    int mkdirat(int dirfd, String pathname, int mode) throws LastErrorException;

    int mknodat(int dirfd, String pathname, int mode, long dev) throws LastErrorException;

    int symlinkat(String target, int newdirfd, String linkpath) throws LastErrorException;

    int linkat(int olddirfd, String oldpath, int newdirfd, String newpath, int flags) throws LastErrorException;

    int unlinkat(int dirfd, String pathname, int flags) throws LastErrorException;

    int renameat2(int olddirfd, String oldpath, int newdirfd, String newpath, int flags) throws LastErrorException;

    int fchmod(int fd, int mode) throws LastErrorException;

    int chmod(String pathname, int mode) throws LastErrorException;

    int fchown(int fd, int owner, int group) throws LastErrorException;

    int fchownat(int dirfd, String pathname, int owner, int group, int flags) throws LastErrorException;

    int futimens(int fd, Pointer times) throws LastErrorException;

    int utimensat(int dirfd, String pathname, Pointer times, int flags) throws LastErrorException;

    int fsetxattr(int fd, String name, byte[] value, long size, int flags) throws LastErrorException;

    int statx(int dirfd, String pathname, int flags, int mask, Pointer statxbuf) throws LastErrorException;

    int syncfs(int fd) throws LastErrorException;

    String strerror(int errnum);
}
