package io.modelgate.runtime.snapshot;

import io.modelgate.packager.image.Digest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One lock per diff_id, held while its snapshot is unpacked or removed, across threads and processes: a
 * {@link ReentrantLock} per lock file for this JVM (Java file locks belong to the whole process and throw when
 * taken twice) around an flock-style {@link FileLock} for other processes. Lock files are never deleted: deleting
 * one while another process waits on it would let two holders in.
 */
final class SnapshotLocks {
    private static final ConcurrentMap<Path, ReentrantLock> IN_JVM = new ConcurrentHashMap<>();

    private final Path dir;

    SnapshotLocks(Path dir) {
        this.dir = dir;
    }

    /** A held lock; closing releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    /** Waits for the lock of {@code diffId}. */
    Held lock(Digest diffId) {
        return acquire(diffId, true);
    }

    /** The lock of {@code diffId}, or null when someone holds it. */
    Held tryLock(Digest diffId) {
        return acquire(diffId, false);
    }

    private Held acquire(Digest diffId, boolean wait) {
        Path file = dir.resolve(diffId.hex() + ".lock");
        ReentrantLock jvm = IN_JVM.computeIfAbsent(file, f -> new ReentrantLock());
        if (wait) {
            jvm.lock();
        } else if (!jvm.tryLock()) {
            return null;
        }
        FileChannel channel = null;
        try {
            Files.createDirectories(dir);
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock = wait ? channel.lock() : channel.tryLock();
            if (lock == null) {
                channel.close();
                jvm.unlock();
                return null;
            }
            FileChannel held = channel;
            return () -> {
                try {
                    lock.release();
                    held.close();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot release " + file, e);
                } finally {
                    jvm.unlock();
                }
            };
        } catch (IOException | RuntimeException e) {
            try {
                if (channel != null) {
                    channel.close();
                }
            } catch (IOException ignored) {
                // already failing
            }
            jvm.unlock();
            if (e instanceof IOException io) {
                throw new UncheckedIOException("cannot lock " + file + ": " + io.getMessage(), io);
            }
            throw (RuntimeException) e;
        }
    }
}
