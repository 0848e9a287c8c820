package io.modelgate.packager.archive;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads small test archives into memory and writes edited copies: corrupt, drop or add entries. */
final class TarEdits {
    private TarEdits() {
    }

    /** Regular files of a tar, in archive order (name → content). */
    static Map<String, byte[]> files(byte[] tar) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (e.isFile()) {
                    out.put(e.getName(), in.readAllBytes());
                }
            }
        }
        return out;
    }

    static String text(byte[] tar, String name) throws IOException {
        byte[] content = files(tar).get(name);
        if (content == null) {
            throw new AssertionError("no entry " + name + " in the archive");
        }
        return new String(content, StandardCharsets.UTF_8);
    }

    /** Writes regular files, and symbolic links for values that start with "-> ". */
    static byte[] write(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, byte[]> f : files.entrySet()) {
                String text = new String(f.getValue(), StandardCharsets.ISO_8859_1);
                boolean link = text.startsWith("-> ");
                TarArchiveEntry e = new TarArchiveEntry(f.getKey(), link ? TarConstants.LF_SYMLINK : TarConstants.LF_NORMAL);
                e.setLastModifiedTime(FileTime.fromMillis(0));
                if (link) {
                    e.setLinkName(text.substring(3));
                } else {
                    e.setSize(f.getValue().length);
                }
                tar.putArchiveEntry(e);
                if (!link) {
                    tar.write(f.getValue());
                }
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }

    static byte[] symlink(String target) {
        return ("-> " + target).getBytes(StandardCharsets.ISO_8859_1);
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
