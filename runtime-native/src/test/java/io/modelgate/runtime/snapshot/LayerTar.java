package io.modelgate.runtime.snapshot;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

/**
 * Builds layer tars entry by entry, in the order given and with the names exactly as given (absolute and
 * {@code ..} names included), for tests that feed crafted layers to the snapshotter.
 */
final class LayerTar {
    static final Instant EPOCH_2001 = Instant.parse("2001-02-03T04:05:06Z");

    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes);
    private int uid;
    private int gid;
    private Instant mtime = EPOCH_2001;

    private LayerTar() {
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    }

    static LayerTar create() {
        return new LayerTar();
    }

    /** Owner of the entries added from now on. */
    LayerTar owner(int uid, int gid) {
        this.uid = uid;
        this.gid = gid;
        return this;
    }

    /** Modification time of the entries added from now on. */
    LayerTar mtime(Instant mtime) {
        this.mtime = mtime;
        return this;
    }

    LayerTar file(String name, String content) {
        return file(name, content, 0644);
    }

    LayerTar file(String name, String content, int mode) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        TarArchiveEntry e = entry(name, TarConstants.LF_NORMAL, mode);
        e.setSize(data.length);
        return put(e, data);
    }

    LayerTar dir(String name) {
        return dir(name, 0755);
    }

    LayerTar dir(String name, int mode) {
        return put(entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, mode), null);
    }

    LayerTar symlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_SYMLINK, 0777);
        e.setLinkName(target);
        return put(e, null);
    }

    LayerTar hardlink(String name, String target) {
        TarArchiveEntry e = entry(name, TarConstants.LF_LINK, 0644);
        e.setLinkName(target);
        return put(e, null);
    }

    LayerTar charDevice(String name, int major, int minor) {
        return device(name, TarConstants.LF_CHR, major, minor);
    }

    LayerTar blockDevice(String name, int major, int minor) {
        return device(name, TarConstants.LF_BLK, major, minor);
    }

    LayerTar fifo(String name, int mode) {
        return put(entry(name, TarConstants.LF_FIFO, mode), null);
    }

    /** An empty regular file, the form whiteouts take in layers. */
    LayerTar whiteout(String name) {
        return file(name, "", 0644);
    }

    byte[] bytes() {
        try {
            tar.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private LayerTar device(String name, byte type, int major, int minor) {
        TarArchiveEntry e = entry(name, type, 0600);
        e.setDevMajor(major);
        e.setDevMinor(minor);
        return put(e, null);
    }

    private TarArchiveEntry entry(String name, byte type, int mode) {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true); // true: keep a leading '/' as given
        e.setMode(mode);
        e.setIds(uid, gid);
        e.setUserName("");
        e.setGroupName("");
        e.setModTime(FileTime.from(mtime));
        return e;
    }

    private LayerTar put(TarArchiveEntry e, byte[] data) {
        try {
            tar.putArchiveEntry(e);
            if (data != null) {
                tar.write(data);
            }
            tar.closeArchiveEntry();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        return this;
    }
}
