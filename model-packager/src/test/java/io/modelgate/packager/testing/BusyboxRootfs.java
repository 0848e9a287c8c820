package io.modelgate.packager.testing;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A minimal root filesystem tar around the host's static busybox (Debian busybox-static): bin/busybox, applet
 * symlinks (bin/sh → busybox …), the usual empty mount points and an /etc/passwd with root and nobody. Entries
 * are sorted with mtime 0 and owner 0:0, so the same content always gives the same tar. Tests that need a
 * runnable base image build one from this with {@code modelgate import} or the store API.
 */
public final class BusyboxRootfs {
    public static final Path BUSYBOX = Path.of("/bin/busybox");
    public static final List<String> APPLETS = List.of("cat", "echo", "env", "false", "grep", "head", "hostname", "id", "kill",
            "ls", "mkdir", "mount", "nc", "ps", "rm", "sh", "sleep", "touch", "true", "wget");
    private static final List<String> DIRECTORIES = List.of("bin", "dev", "etc", "proc", "root", "sys", "tmp", "usr", "usr/bin", "var");

    private final Path busybox;
    private final Map<String, Entry> entries = new TreeMap<>();

    private record Entry(byte type, int mode, byte[] content, String linkTarget) {
    }

    private BusyboxRootfs(Path busybox) {
        this.busybox = busybox;
        for (String dir : DIRECTORIES) {
            directory(dir, dir.equals("tmp") ? 01777 : dir.equals("root") ? 0700 : 0755);
        }
        entries.put("bin/busybox", new Entry(TarConstants.LF_NORMAL, 0755, null, null));
        for (String applet : APPLETS) {
            entries.put("bin/" + applet, new Entry(TarConstants.LF_SYMLINK, 0777, null, "busybox"));
        }
        withFile("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        withFile("etc/group", "root:x:0:\nnogroup:x:65534:\n");
    }

    /** The default rootfs; skips the test (fails under CI) when busybox-static is not installed. */
    public static BusyboxRootfs create() {
        ExternalTools.require(BUSYBOX.toString(), "busybox-static");
        return new BusyboxRootfs(BUSYBOX);
    }

    /** Adds (or replaces) a regular file, mode 0644, creating its parent directories. */
    public BusyboxRootfs withFile(String path, String content) {
        return withFile(path, content.getBytes(StandardCharsets.UTF_8), 0644);
    }

    /** Adds (or replaces) a regular file with the given mode, e.g. 0755 for a script. */
    public BusyboxRootfs withFile(String path, byte[] content, int mode) {
        parents(path);
        entries.put(path, new Entry(TarConstants.LF_NORMAL, mode, content.clone(), null));
        return this;
    }

    /** Adds a symbolic link {@code path → target}. */
    public BusyboxRootfs withSymlink(String path, String target) {
        parents(path);
        entries.put(path, new Entry(TarConstants.LF_SYMLINK, 0777, null, target));
        return this;
    }

    /** Writes the tar (uncompressed) to {@code file} and returns it. */
    public Path writeTo(Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            writeTo(out);
        }
        return file;
    }

    /** Writes the tar (uncompressed) to a stream, leaving it open. */
    public void writeTo(OutputStream out) throws IOException {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(new java.io.FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                out.flush();
            }
        });
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        for (Map.Entry<String, Entry> e : entries.entrySet()) {
            Entry spec = e.getValue();
            String name = spec.type() == TarConstants.LF_DIR ? e.getKey() + "/" : e.getKey();
            TarArchiveEntry entry = new TarArchiveEntry(name, spec.type());
            entry.setMode(spec.mode());
            entry.setIds(0, 0);
            entry.setUserName("");
            entry.setGroupName("");
            entry.setLastModifiedTime(FileTime.fromMillis(0));
            if (spec.linkTarget() != null) {
                entry.setLinkName(spec.linkTarget());
            }
            if (e.getKey().equals("bin/busybox")) {
                entry.setSize(Files.size(busybox));
                tar.putArchiveEntry(entry);
                try (InputStream in = Files.newInputStream(busybox)) {
                    in.transferTo(tar);
                }
            } else {
                byte[] content = spec.content() == null ? new byte[0] : spec.content();
                entry.setSize(spec.type() == TarConstants.LF_NORMAL ? content.length : 0);
                tar.putArchiveEntry(entry);
                if (spec.type() == TarConstants.LF_NORMAL) {
                    tar.write(content);
                }
            }
            tar.closeArchiveEntry();
        }
        tar.close();
    }

    private void directory(String path, int mode) {
        entries.put(path, new Entry(TarConstants.LF_DIR, mode, null, null));
    }

    private void parents(String path) {
        int slash = path.indexOf('/');
        while (slash > 0) {
            String dir = path.substring(0, slash);
            entries.putIfAbsent(dir, new Entry(TarConstants.LF_DIR, 0755, null, null));
            slash = path.indexOf('/', slash + 1);
        }
    }
}
