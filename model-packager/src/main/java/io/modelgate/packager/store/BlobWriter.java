package io.modelgate.packager.store;

import io.modelgate.packager.image.Digest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;

/**
 * Streams one blob into a temporary file, hashing as it goes; {@link #commit} checks the digest and renames the
 * file into place, {@link #close} without a commit deletes it. A reader never sees a partial blob.
 */
public final class BlobWriter extends OutputStream {
    private final ImageStore store;
    private final Path temp;
    private final FileChannel channel;
    private final OutputStream out;
    private final MessageDigest sha = Digest.newSha256();
    private long size;
    private boolean done;

    BlobWriter(ImageStore store, Path temp) throws IOException {
        this.store = store;
        this.temp = temp;
        this.channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        this.out = new java.io.BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
    }

    @Override
    public void write(int b) throws IOException {
        out.write(b);
        sha.update((byte) b);
        size++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        sha.update(b, off, len);
        size += len;
    }

    public long size() {
        return size;
    }

    /**
     * Makes the blob durable under its digest and returns that digest.
     * @param expected the digest the content must have, or null to accept whatever it hashes to
     */
    public Digest commit(Digest expected) throws IOException {
        if (done) {
            throw new IOException("blob " + temp.getFileName() + " was already committed or abandoned");
        }
        done = true;
        try {
            out.flush();
            channel.force(true);
            channel.close();
            Digest actual = Digest.fromHash(sha.digest());
            if (expected != null && !expected.equals(actual)) {
                throw new DigestMismatchException("content of " + expected + " hashes to " + actual
                        + " (" + size + " bytes); the blob was not stored");
            }
            store.moveIntoPlace(temp, actual);
            return actual;
        } catch (IOException | RuntimeException e) {
            // Whatever failed (fsync, digest, rename), the temporary file must not outlive the writer.
            try {
                discard();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    private void discard() throws IOException {
        try {
            channel.close();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    @Override
    public void close() throws IOException {
        if (!done) {
            done = true;
            discard();
        }
    }
}
