package io.modelgate.packager.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Locks that hold across threads and processes sharing one store. A file lock alone is per process (the JVM
 * refuses a second overlapping lock from another thread), so each is paired with an in-process lock.
 * <ul>
 *   <li>index: held while index.json is read, changed and replaced;</li>
 *   <li>gc: shared by everyone who writes blobs that are not referenced yet (pack, pull, load), exclusive for
 *       whoever deletes unreferenced blobs, so a collection never removes a blob a writer is about to tag.</li>
 * </ul>
 * There is one instance per lock directory in a JVM ({@link #forDirectory}): two instances would each take
 * the file lock, and the JVM answers the second with OverlappingFileLockException instead of waiting (and a
 * POSIX lock is dropped when any descriptor of its file is closed).
 */
final class StoreLocks {
    private static final ConcurrentMap<Path, StoreLocks> BY_DIRECTORY = new ConcurrentHashMap<>();

    private final Path indexLockFile;
    private final Path gcLockFile;
    private final ReentrantLock indexLock = new ReentrantLock();
    /** Guards the gc state below; the shared file lock is taken once for all sessions of this JVM. */
    private final Object gcGuard = new Object();
    private int sharedHolders;
    private boolean collecting;
    private final Map<Thread, Integer> sessionOwners = new HashMap<>();
    private FileChannel sharedChannel;
    private FileLock sharedFileLock;

    StoreLocks(Path dir) {
        this.indexLockFile = dir.resolve("index.lock");
        this.gcLockFile = dir.resolve("gc.lock");
    }

    /** The locks of the store whose lock files live in {@code dir}, shared by every store object in this JVM. */
    static StoreLocks forDirectory(Path dir) {
        Path key;
        try {
            Files.createDirectories(dir);
            key = dir.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the lock directory " + dir + ": " + e.getMessage(), e);
        }
        return BY_DIRECTORY.computeIfAbsent(key, StoreLocks::new);
    }

    /** A held lock; closing releases it, and closing it again does nothing. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    Held index() {
        indexLock.lock();
        FileChannel channel = null;
        try {
            channel = open(indexLockFile);
            FileLock lock = channel.lock();
            FileChannel ch = channel;
            return once(() -> {
                try {
                    lock.release();
                    ch.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    indexLock.unlock();
                }
            });
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            indexLock.unlock();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot lock " + indexLockFile, io);
            }
            throw (RuntimeException) e;
        }
    }

    Held sharedWrite() {
        Thread owner = Thread.currentThread();
        synchronized (gcGuard) {
            // Writers go first: a waiting collection does not hold up a new session (which might be the one
            // an open session is waiting for), only a running one does. fcntl locks behave the same way.
            while (collecting) {
                awaitGc();
            }
            if (sharedHolders == 0) {
                FileChannel channel = null;
                try {
                    channel = open(gcLockFile);
                    sharedFileLock = channel.lock(0, Long.MAX_VALUE, true);
                    sharedChannel = channel;
                } catch (IOException | RuntimeException e) {
                    closeQuietly(channel, e);
                    if (e instanceof IOException io) {
                        throw new UncheckedIOException("cannot lock " + gcLockFile, io);
                    }
                    throw (RuntimeException) e;
                }
            }
            sharedHolders++;
            sessionOwners.merge(owner, 1, Integer::sum);
        }
        return once(() -> {
            synchronized (gcGuard) {
                sessionOwners.computeIfPresent(owner, (t, n) -> n == 1 ? null : n - 1);
                if (--sharedHolders == 0) {
                    FileChannel channel = sharedChannel;
                    FileLock lock = sharedFileLock;
                    sharedFileLock = null;
                    sharedChannel = null;
                    gcGuard.notifyAll();
                    try {
                        lock.release();
                        channel.close();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }
            }
        });
    }

    /** The exclusive collection lock, or null when a writer holds it (wait=false) . */
    Held exclusiveCollect(boolean wait) {
        synchronized (gcGuard) {
            if (wait && sessionOwners.containsKey(Thread.currentThread())) {
                // Waiting for every session to end would wait for this thread's own, for ever.
                throw new IllegalStateException("cannot collect garbage inside this thread's own writeSession(): close it first");
            }
            if (!wait && (collecting || sharedHolders > 0)) {
                return null;
            }
            while (collecting || sharedHolders > 0) {
                awaitGc();
            }
            collecting = true;
        }
        FileChannel channel = null;
        try {
            channel = open(gcLockFile);
            FileLock lock = wait ? channel.lock() : channel.tryLock();
            if (lock == null) {
                channel.close();
                endCollecting();
                return null;
            }
            FileChannel ch = channel;
            return once(() -> {
                try {
                    lock.release();
                    ch.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    endCollecting();
                }
            });
        } catch (IOException | RuntimeException e) {
            closeQuietly(channel, e);
            endCollecting();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot lock " + gcLockFile, io);
            }
            throw (RuntimeException) e;
        }
    }

    private void endCollecting() {
        synchronized (gcGuard) {
            collecting = false;
            gcGuard.notifyAll();
        }
    }

    /** Waits on the gc guard; an interrupt is kept for the caller rather than leaving a lock half-taken. */
    private void awaitGc() {
        try {
            gcGuard.wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the store's gc lock", e);
        }
    }

    private static Held once(Runnable release) {
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                release.run();
            }
        };
    }

    private static void closeQuietly(FileChannel channel, Exception failure) {
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private static FileChannel open(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
    }
}
