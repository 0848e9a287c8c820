package io.modelgate.packager.pack;

import io.modelgate.packager.image.Digest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Remembers the sha256 of files by what stat says about them (path, size, mtime, ctime, inode, device), as git's
 * index does, so a rebuild learns that a 100 MB weights file is unchanged without reading it. Any write to a
 * file changes its ctime, so a stale entry is never used. Digests are learnt while a layer is built, in the same
 * read that fills the layer, never by a separate pass.
 */
final class FileHashes {
    private final Path dir;

    FileHashes(Path cacheDir) {
        this.dir = cacheDir;
    }

    /** What stat says about a file: equal stats mean the content has not been written since. */
    record Stat(String identity, long size) {
    }

    static Stat stat(Path file) throws IOException {
        Map<String, Object> a = Files.readAttributes(file, "unix:size,lastModifiedTime,ctime,ino,dev", LinkOption.NOFOLLOW_LINKS);
        long size = (Long) a.get("size");
        String identity = file.toAbsolutePath() + "\0" + size + "\0" + nanos(a.get("lastModifiedTime"))
                + "\0" + nanos(a.get("ctime")) + "\0" + a.get("ino") + "\0" + a.get("dev");
        return new Stat(identity, size);
    }

    /** The digest recorded for a file in exactly this state, or null. */
    Digest lookup(Stat stat) throws IOException {
        Path entry = entry(stat);
        try {
            return Digest.parse(Files.readString(entry, StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | IllegalArgumentException e) {
            Files.deleteIfExists(entry);
            return null;
        }
    }

    void remember(Stat stat, Digest digest) throws IOException {
        Files.createDirectories(dir);
        Path temp = dir.resolve("." + UUID.randomUUID() + ".tmp");
        Files.writeString(temp, digest.toString(), StandardCharsets.US_ASCII);
        Files.move(temp, entry(stat), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private Path entry(Stat stat) {
        return dir.resolve(Digest.sha256(stat.identity().getBytes(StandardCharsets.UTF_8)).hex());
    }

    private static long nanos(Object time) {
        return time instanceof FileTime t ? t.to(TimeUnit.NANOSECONDS) : 0;
    }
}
