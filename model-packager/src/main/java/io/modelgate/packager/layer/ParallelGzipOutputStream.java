package io.modelgate.packager.layer;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/**
 * gzip (RFC 1952) compressed on several cores, as pigz does: the input is cut into fixed 128 KiB blocks, each
 * deflated on its own with the previous block's last 32 KiB as dictionary and ended by a sync flush, and the
 * results are concatenated in order. Block boundaries do not depend on the thread count, so the output is the
 * same bytes however many threads produced it; any gzip reader reads it.
 */
final class ParallelGzipOutputStream extends OutputStream {
    static final int BLOCK = 128 * 1024;
    private static final int DICTIONARY = 32 * 1024;
    private static final ExecutorService POOL = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors()), r -> {
                Thread t = new Thread(r, "gzip-block");
                t.setDaemon(true);
                return t;
            });

    private final OutputStream out;
    private final int level;
    private final int maxInFlight;
    private final ArrayDeque<Future<byte[]>> inFlight = new ArrayDeque<>();
    private final CRC32 crc = new CRC32();
    private byte[] block = new byte[BLOCK];
    private int filled;
    private byte[] previous;
    private long total;
    private boolean closed;
    /** A block was lost to an earlier failure: the stream can only be abandoned, not finished. */
    private boolean failed;

    ParallelGzipOutputStream(OutputStream out, int level, int threads) throws IOException {
        this.out = out;
        this.level = level;
        this.maxInFlight = Math.max(2, threads * 3);
        // Header: magic, deflate, no flags, mtime 0, no extra flags, OS unknown - nothing that varies per run.
        out.write(new byte[] {0x1f, (byte) 0x8b, 8, 0, 0, 0, 0, 0, 0, (byte) 0xff});
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("gzip stream is closed");
        }
        try {
            crc.update(b, off, len);
            total += len;
            while (len > 0) {
                if (filled == BLOCK) {
                    submit(false);
                }
                int n = Math.min(len, BLOCK - filled);
                System.arraycopy(b, off, block, filled, n);
                filled += n;
                off += n;
                len -= n;
            }
        } catch (IOException | RuntimeException e) {
            failed = true;
            throw e;
        }
    }

    private void submit(boolean last) throws IOException {
        byte[] input = filled == block.length ? block : Arrays.copyOf(block, filled);
        byte[] dictionary = previous == null ? null
                : Arrays.copyOfRange(previous, Math.max(0, previous.length - DICTIONARY), previous.length);
        int lvl = level;
        inFlight.add(POOL.submit(() -> deflate(input, dictionary, lvl, last)));
        previous = input;
        block = new byte[BLOCK];
        filled = 0;
        while (inFlight.size() >= maxInFlight) {
            drainOne();
        }
    }

    private static byte[] deflate(byte[] input, byte[] dictionary, int level, boolean last) {
        Deflater deflater = new Deflater(level, true);
        try {
            if (dictionary != null) {
                deflater.setDictionary(dictionary);
            }
            deflater.setInput(input);
            if (last) {
                deflater.finish();
            }
            java.io.ByteArrayOutputStream result = new java.io.ByteArrayOutputStream(input.length / 2 + 64);
            byte[] buf = new byte[64 * 1024];
            if (last) {
                while (!deflater.finished()) {
                    int n = deflater.deflate(buf, 0, buf.length, Deflater.NO_FLUSH);
                    result.write(buf, 0, n);
                }
            } else {
                int n;
                do {
                    n = deflater.deflate(buf, 0, buf.length, Deflater.SYNC_FLUSH);
                    result.write(buf, 0, n);
                } while (n == buf.length || !deflater.needsInput());
            }
            return result.toByteArray();
        } finally {
            deflater.end();
        }
    }

    private void drainOne() throws IOException {
        Future<byte[]> next = inFlight.poll();
        try {
            out.write(next.get());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while compressing");
        } catch (ExecutionException e) {
            throw new IOException("gzip compression failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (failed) {
                return;
            }
            submit(true);
            while (!inFlight.isEmpty()) {
                drainOne();
            }
            int c = (int) crc.getValue();
            int size = (int) total;
            out.write(new byte[] {
                    (byte) c, (byte) (c >>> 8), (byte) (c >>> 16), (byte) (c >>> 24),
                    (byte) size, (byte) (size >>> 8), (byte) (size >>> 16), (byte) (size >>> 24)});
        } finally {
            inFlight.forEach(f -> f.cancel(true));
            out.close();
        }
    }
}
