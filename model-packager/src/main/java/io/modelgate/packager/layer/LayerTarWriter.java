package io.modelgate.packager.layer;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * Writes a layer tar that depends on nothing but its entries: every entry has the same mtime, uid and gid 0,
 * no user or group names, and no atime or ctime. Long names and large sizes use PAX headers. The caller adds
 * entries in sorted order, parents before children.
 */
public final class LayerTarWriter implements AutoCloseable {
    private final TarArchiveOutputStream tar;
    private final FileTime mtime;

    public LayerTarWriter(OutputStream out, Instant mtime) {
        this.tar = new TarArchiveOutputStream(out, 512, java.nio.charset.StandardCharsets.UTF_8.name());
        this.tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        this.tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        this.tar.setAddPaxHeadersForNonAsciiNames(true);
        this.mtime = FileTime.from(mtime);
    }

    public void directory(String name, int mode) throws IOException {
        TarArchiveEntry e = entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, mode);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    public void file(String name, int mode, long size, InputStream content) throws IOException {
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode);
        e.setSize(size);
        tar.putArchiveEntry(e);
        long copied = content.transferTo(tar);
        if (copied != size) {
            throw new IOException(name + " changed size while it was being packed (" + size + " bytes expected, " + copied + " read)");
        }
        tar.closeArchiveEntry();
    }

    public void symlink(String name, String target) throws IOException {
        TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777);
        e.setLinkName(target);
        tar.putArchiveEntry(e);
        tar.closeArchiveEntry();
    }

    private TarArchiveEntry entry(String name, byte type, int mode) {
        TarArchiveEntry e = new TarArchiveEntry(name, type);
        e.setMode(mode | (type == TarConstants.LF_DIR ? 040000 : type == TarConstants.LF_SYMLINK ? 0120000 : 0100000));
        e.setIds(0, 0);
        e.setUserName("");
        e.setGroupName("");
        e.setLastModifiedTime(mtime);
        return e;
    }

    /** Writes the end-of-archive marker and flushes, leaving the underlying stream open. */
    public void finish() throws IOException {
        tar.finish();
        tar.flush();
    }

    /** Finishes the archive and closes the underlying stream. */
    @Override
    public void close() throws IOException {
        tar.close();
    }
}
