package io.modelgate.gateway.source;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/**
 * Unpacks an uploaded tar (plain or gzip) into an empty directory the gateway just created, refusing what would
 * escape it: absolute names, {@code ..}, entries that lead through a symlink, symlinks that point outside, hard links
 * to anything but a file unpacked before, device nodes and FIFOs. The directory is private to one upload and nothing
 * else writes to it, so checking each path component with NOFOLLOW_LINKS as it is created is sound. The file bytes
 * unpacked are limited (a small gzip can hold a huge tar).
 */
final class SafeTar {
    private static final Set<PosixFilePermission> EXEC = EnumSet.of(PosixFilePermission.OWNER_EXECUTE,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);

    private SafeTar() {
    }

    /** An entry that would land outside the directory or is not a file, a directory or a link inside it. */
    static final class UnsafeEntryException extends IOException {
        UnsafeEntryException(String message) {
            super(message);
        }
    }

    /** More bytes than allowed, read or unpacked. */
    static final class TooLargeException extends IOException {
        TooLargeException(String message) {
            super(message);
        }
    }

    /** Unpacks {@code in} (gzip is recognised by its magic bytes) into {@code root}, at most {@code maxBytes} of file content. */
    static void unpack(InputStream in, Path root, long maxBytes) throws IOException {
        BufferedInputStream buffered = new BufferedInputStream(in, 1 << 16);
        buffered.mark(2);
        int b0 = buffered.read();
        int b1 = buffered.read();
        buffered.reset();
        InputStream tarBytes = b0 == 0x1f && b1 == 0x8b ? new GzipCompressorInputStream(buffered, true) : buffered;
        long total = 0;
        try (TarArchiveInputStream tar = new TarArchiveInputStream(tarBytes)) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                String name = relativeName(e.getName());
                if (name.isEmpty()) {
                    continue; // "./", the root itself
                }
                Path target = inside(root, name);
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else if (e.isSymbolicLink()) {
                    symlink(root, name, target, e.getLinkName());
                } else if (e.isLink()) {
                    Path source = inside(root, relativeName(e.getLinkName()));
                    if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                        throw new UnsafeEntryException("hard link " + name + " -> " + e.getLinkName()
                                + " does not point at a file unpacked before it (rejected)");
                    }
                    Files.createDirectories(target.getParent());
                    total = add(total, Files.size(source), maxBytes);
                    Files.copy(source, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, LinkOption.NOFOLLOW_LINKS);
                } else if (isRegular(e)) {
                    Files.createDirectories(target.getParent());
                    if (Files.isSymbolicLink(target)) {
                        throw new UnsafeEntryException("entry " + name + " would write through a symlink (rejected)");
                    }
                    try (OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE,
                            StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                        byte[] buf = new byte[1 << 16];
                        int n;
                        while ((n = tar.read(buf)) > 0) {
                            total = add(total, n, maxBytes);
                            out.write(buf, 0, n);
                        }
                    }
                    if ((e.getMode() & 0111) != 0) {
                        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(target, LinkOption.NOFOLLOW_LINKS);
                        perms.addAll(EXEC);
                        Files.setPosixFilePermissions(target, perms);
                    }
                } else {
                    throw new UnsafeEntryException("entry " + name + " is a " + kind(e)
                            + "; a model directory holds only files, directories and links (rejected)");
                }
            }
        }
    }

    private static long add(long total, long n, long max) throws TooLargeException {
        long sum = total + n;
        if (sum > max) {
            throw new TooLargeException("the model directory unpacks to more than " + max + " bytes");
        }
        return sum;
    }

    /** The entry name without "./" prefixes and trailing slashes; absolute names and ".." are refused. */
    static String relativeName(String raw) throws UnsafeEntryException {
        if (raw.indexOf('\0') >= 0) {
            throw new UnsafeEntryException("entry name " + raw.replace('\0', '?') + " holds a NUL byte (rejected)");
        }
        if (raw.startsWith("/")) {
            throw new UnsafeEntryException("entry " + raw + " is an absolute path; tar the directory's contents "
                    + "(tar -C DIR -cf - .) (rejected)");
        }
        StringBuilder out = new StringBuilder();
        for (String part : raw.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                throw new UnsafeEntryException("entry " + raw + " escapes the model directory (rejected)");
            }
            if (!out.isEmpty()) {
                out.append('/');
            }
            out.append(part);
        }
        return out.toString();
    }

    /** {@code root/name}, after checking that no directory on the way there is a symlink or a file. */
    private static Path inside(Path root, String name) throws UnsafeEntryException {
        Path p = root;
        String[] parts = name.split("/");
        for (int i = 0; i < parts.length - 1; i++) {
            p = p.resolve(parts[i]);
            if (Files.isSymbolicLink(p)) {
                throw new UnsafeEntryException("entry " + name + " leads through the symlink " + root.relativize(p)
                        + " (rejected)");
            }
            if (Files.exists(p, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                throw new UnsafeEntryException("entry " + name + " lies under " + root.relativize(p)
                        + ", which is not a directory (rejected)");
            }
        }
        return p.resolve(parts[parts.length - 1]);
    }

    private static void symlink(Path root, String name, Path target, String link) throws IOException {
        if (link.isEmpty() || link.startsWith("/")) {
            throw new UnsafeEntryException("symlink " + name + " -> " + link + " points outside the model directory "
                    + "(only relative links inside it are allowed) (rejected)");
        }
        Path resolved = target.getParent().resolve(link).normalize();
        if (!resolved.startsWith(root)) {
            throw new UnsafeEntryException("symlink " + name + " -> " + link + " points outside the model directory (rejected)");
        }
        Files.createDirectories(target.getParent());
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new UnsafeEntryException("symlink " + name + " replaces an entry unpacked before it (rejected)");
        }
        Files.createSymbolicLink(target, Path.of(link));
    }

    /** A regular file's entry; commons-compress's isFile() also says yes to devices and FIFOs. */
    private static boolean isRegular(TarArchiveEntry e) {
        byte flag = e.getLinkFlag();
        return flag == TarConstants.LF_NORMAL || flag == TarConstants.LF_OLDNORM || flag == TarConstants.LF_CONTIG;
    }

    private static String kind(TarArchiveEntry e) {
        if (e.isCharacterDevice()) {
            return "character device";
        }
        if (e.isBlockDevice()) {
            return "block device";
        }
        if (e.isFIFO()) {
            return "FIFO";
        }
        return "entry of type '" + (char) e.getLinkFlag() + "'";
    }
}
