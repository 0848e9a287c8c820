package io.modelgate.packager.pack;

import io.modelgate.packager.image.Digest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.util.Map;
import java.util.UUID;

/**
 * Remembers the sha256 of files by what stat says about them (path, size, mtime, ctime, inode), as git's index
 * does, so a rebuild does not read a 100 MB weights file again to learn it has not changed. Any change to the
 * file changes its ctime, so a stale entry is never used.
 */
final class FileHashes {
    private final Path dir;
    private final java.util.concurrent.atomic.AtomicLong bytesHashed = new java.util.concurrent.atomic.AtomicLong();

    FileHashes(Path cacheDir) {
        this.dir = cacheDir;
    }

    Digest digest(Path file) throws IOException {
        Map<String, Object> stat = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,ino,dev", LinkOption.NOFOLLOW_LINKS);
        String key = file.toAbsolutePath() + "\0" + stat.get("size") + "\0" + nanos(stat.get("lastModifiedTime"))
                + "\0" + nanos(stat.get("ctime")) + "\0" + stat.get("ino") + "\0" + stat.get("dev");
        Path entry = dir.resolve(Digest.sha256(key.getBytes(StandardCharsets.UTF_8)).hex());
        try {
            return Digest.parse(Files.readString(entry, StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            // not seen yet
        } catch (IOException | IllegalArgumentException e) {
            Files.deleteIfExists(entry);
        }
        Digest digest = hash(file);
        bytesHashed.addAndGet((Long) stat.get("size"));
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + UUID.randomUUID() + ".tmp");
        Files.writeString(temp, digest.toString(), StandardCharsets.US_ASCII);
        Files.move(temp, entry, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return digest;
    }

    long bytesHashed() {
        return bytesHashed.get();
    }

    static Digest hash(Path file) throws IOException {
        MessageDigest sha = Digest.newSha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                sha.update(buf, 0, n);
            }
        }
        return Digest.fromHash(sha.digest());
    }

    private static long nanos(Object time) {
        return time instanceof FileTime t ? t.to(java.util.concurrent.TimeUnit.NANOSECONDS) : 0;
    }
}
