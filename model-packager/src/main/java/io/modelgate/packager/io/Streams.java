package io.modelgate.packager.io;

import java.io.FilterOutputStream;
import java.io.IOException;
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
}
