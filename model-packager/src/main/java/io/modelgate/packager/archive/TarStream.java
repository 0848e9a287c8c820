package io.modelgate.packager.archive;

import io.modelgate.packager.image.ImageFormatException;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

import java.io.IOException;
import java.io.InputStream;

/**
 * A tar reader that tells a complete archive from a truncated one or from a file that is no tar at all.
 * commons-compress takes a short read where a header should be as a quiet end of archive, so "hello" and a
 * tar cut off between two entries would both read as complete; here the end-of-archive marker (a zero block)
 * must be present.
 */
final class TarStream extends TarArchiveInputStream {
    private final String source;
    private boolean endedWithoutMarker;

    TarStream(InputStream in, String source) {
        super(in);
        this.source = source;
    }

    @Override
    protected boolean isEOFRecord(byte[] record) {
        if (record == null) {
            endedWithoutMarker = true;
        }
        return super.isEOFRecord(record);
    }

    /** The next entry, or null after the end-of-archive marker. */
    TarArchiveEntry next() throws IOException {
        TarArchiveEntry previous = getCurrentEntry();
        TarArchiveEntry entry;
        try {
            entry = getNextEntry();
        } catch (IOException e) {
            if (isTruncation(e)) {
                throw previous != null
                        ? entryError(previous.getName(), e) // skipping the rest of the previous entry hit the end
                        : new ImageFormatException(source + " is truncated: it ends after " + getBytesRead() + " bytes, inside a tar header ("
                        + e.getMessage() + ")", e);
            }
            throw new ImageFormatException(source + " is not a valid tar archive (after " + getBytesRead() + " bytes: "
                    + e.getMessage() + ")", e);
        }
        if (entry == null && endedWithoutMarker) {
            if (getBytesRead() == 0) {
                throw new ImageFormatException(source + " is empty (expected a tar archive)");
            }
            throw new ImageFormatException(source + " is truncated or not a tar archive: its data ends after "
                    + getBytesRead() + " bytes without the tar end-of-archive marker");
        }
        return entry;
    }

    private static boolean isTruncation(Exception e) {
        return e instanceof java.io.EOFException || (e.getMessage() != null && e.getMessage().contains("Truncated"));
    }

    /** Turns a read error inside an entry into a message that names the entry. */
    ImageFormatException entryError(String entry, Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (isTruncation(e)) {
            return new ImageFormatException(source + " is truncated: it ends inside entry " + entry + " (" + message + ")", e);
        }
        return new ImageFormatException(source + ": cannot read entry " + entry + ": " + message, e);
    }
}
