package io.modelgate.packager.registry;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.net.http.HttpRequest;
import java.util.function.LongConsumer;

/**
 * Request bodies cut from a blob file: the whole blob for a monolithic upload, a slice for a chunk. Each attempt
 * opens the file anew (a request retried after an auth challenge sends the bytes again) and reports the absolute
 * position reached, so progress does not count a retried slice twice. The content is not hashed here: the
 * registry computes the digest itself and refuses the final PUT if it differs.
 */
final class BlobBody {
    private BlobBody() {
    }

    static HttpRequest.BodyPublisher slice(Path file, long offset, long length, LongConsumer position) {
        if (length == 0) {
            return HttpRequest.BodyPublishers.noBody();
        }
        return HttpRequest.BodyPublishers.fromPublisher(
                HttpRequest.BodyPublishers.ofInputStream(() -> open(file, offset, length, position)), length);
    }

    private static InputStream open(Path file, long offset, long length, LongConsumer position) {
        try {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            channel.position(offset);
            return new Slice(Channels.newInputStream(channel), offset, length, position);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** At most {@code length} bytes of the underlying stream, reporting the position after each read. */
    private static final class Slice extends FilterInputStream {
        private final LongConsumer position;
        private long at;
        private final long end;

        Slice(InputStream in, long offset, long length, LongConsumer position) {
            super(in);
            this.at = offset;
            this.end = offset + length;
            this.position = position;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (at >= end) {
                return -1;
            }
            int n = super.read(b, off, (int) Math.min(len, end - at));
            if (n > 0) {
                at += n;
                position.accept(at);
            }
            return n;
        }
    }
}
