package io.modelgate.packager.io;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Stream helpers shared by the layer, archive and registry code. */
public final class Streams {
    private Streams() {
    }

    /**
     * A view of {@code out} whose close only flushes: for wrapping a stream the caller still owns (stdout, a blob
     * writer that must be committed) in a tar or compressor that closes what it wraps when it finishes.
     */
    public static OutputStream unclosable(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        };
    }

    /**
     * Skips by reading through {@code in}'s own {@code read}, for streams that must see every byte (hashing,
     * copying) rather than let the stream below jump over them; returns how many bytes were skipped.
     */
    public static long skipByReading(InputStream in, long n) throws IOException {
        byte[] buf = new byte[(int) Math.max(1, Math.min(n, 1 << 16))];
        long done = 0;
        while (done < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) {
                break;
            }
            done += r;
        }
        return done;
    }
}
