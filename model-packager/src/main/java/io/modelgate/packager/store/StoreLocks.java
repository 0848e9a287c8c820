package io.modelgate.packager.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Locks that hold across threads and processes sharing one store. A file lock alone is per process (the JVM
 * refuses a second overlapping lock from another thread), so each is paired with an in-process lock.
 * <ul>
 *   <li>index: held while index.json is read, changed and replaced;</li>
 *   <li>gc: shared by everyone who writes blobs that are not referenced yet (pack, pull, load), exclusive for
 *       whoever deletes unreferenced blobs, so a collection never removes a blob a writer is about to tag.</li>
 * </ul>
 */
final class StoreLocks {
    private final Path indexLockFile;
    private final Path gcLockFile;
    private final ReentrantLock indexLock = new ReentrantLock();
    private final ReentrantReadWriteLock gcLock = new ReentrantReadWriteLock();
    private final Object sharedGuard = new Object();
    private int sharedHolders;
    private FileChannel sharedChannel;
    private FileLock sharedFileLock;

    StoreLocks(Path dir) {
        this.indexLockFile = dir.resolve("index.lock");
        this.gcLockFile = dir.resolve("gc.lock");
    }

    /** A held lock; closing releases it. */
    interface Held extends AutoCloseable {
        @Override
        void close();
    }

    Held index() {
        indexLock.lock();
        try {
            FileChannel channel = open(indexLockFile);
            FileLock lock = channel.lock();
            return () -> {
                try {
                    lock.release();
                    channel.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    indexLock.unlock();
                }
            };
        } catch (IOException e) {
            indexLock.unlock();
            throw new UncheckedIOException("cannot lock " + indexLockFile, e);
        } catch (RuntimeException e) {
            indexLock.unlock();
            throw e;
        }
    }

    Held sharedWrite() {
        gcLock.readLock().lock();
        try {
            synchronized (sharedGuard) {
                if (sharedHolders == 0) {
                    sharedChannel = open(gcLockFile);
                    sharedFileLock = sharedChannel.lock(0, Long.MAX_VALUE, true);
                }
                sharedHolders++;
            }
        } catch (IOException e) {
            gcLock.readLock().unlock();
            throw new UncheckedIOException("cannot lock " + gcLockFile, e);
        }
        return () -> {
            try {
                synchronized (sharedGuard) {
                    if (--sharedHolders == 0) {
                        sharedFileLock.release();
                        sharedChannel.close();
                        sharedFileLock = null;
                        sharedChannel = null;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                gcLock.readLock().unlock();
            }
        };
    }

    /** The exclusive collection lock, or null when a writer holds it (wait=false) . */
    Held exclusiveCollect(boolean wait) {
        if (wait) {
            gcLock.writeLock().lock();
        } else if (!gcLock.writeLock().tryLock()) {
            return null;
        }
        try {
            FileChannel channel = open(gcLockFile);
            FileLock lock = wait ? channel.lock() : channel.tryLock();
            if (lock == null) {
                channel.close();
                gcLock.writeLock().unlock();
                return null;
            }
            return () -> {
                try {
                    lock.release();
                    channel.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } finally {
                    gcLock.writeLock().unlock();
                }
            };
        } catch (IOException e) {
            gcLock.writeLock().unlock();
            throw new UncheckedIOException("cannot lock " + gcLockFile, e);
        }
    }

    private static FileChannel open(Path file) throws IOException {
        Files.createDirectories(file.getParent());
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ);
    }
}
