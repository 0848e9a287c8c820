package io.modelgate.runtime.snapshot;

import io.modelgate.packager.image.Digest;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Unpacks one layer tar into an empty directory that becomes an overlay lower dir, confined to it by the kernel.
 * <p>
 * Every path is opened with openat2(2) and RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV relative to
 * the root's descriptor, so a symlink met on the way that leads out of the root (absolute, or upward past it)
 * fails with EXDEV instead of being followed. Entries are then created relative to their parent's descriptor
 * with calls that never follow a final symlink (mkdirat, openat O_CREAT|O_EXCL|O_NOFOLLOW, symlinkat, linkat,
 * mknodat), and what was there before in this layer is removed first rather than written through.
 * OCI whiteouts become what overlayfs reads in a lower dir: {@code .wh.NAME} a 0/0 character device NAME,
 * {@code .wh..wh..opq} the xattr {@code trusted.overlay.opaque=y} on its directory.
 * <p>
 * Refused, naming the entry: names leaving the root ({@code ../x}, {@code /x}), writes through symlinks leading
 * outside, hardlinks to outside or absolute targets, character and block devices (a container gets its /dev
 * from the runtime, and a device node in an image is a way to the host's disks or memory), whiteouts of the
 * directory itself or with a '/' after the prefix. FIFOs are allowed: a FIFO is only a rendezvous inside the
 * container's own filesystem and reaches nothing on the host.
 */
final class LayerUnpacker {
    private static final String OPAQUE_XATTR = "trusted.overlay.opaque";

    private final Digest layer;
    private final int rootFd;
    /** Directory times are set last: creating their children changes them. Keyed by relative path. */
    private final Map<String, FileTime[]> directoryTimes = new LinkedHashMap<>();
    private long contentBytes;

    private LayerUnpacker(Digest layer, int rootFd) {
        this.layer = layer;
        this.rootFd = rootFd;
    }

    /**
     * Unpacks the tar read from {@code tar} into {@code root}, an empty directory the caller created; returns the
     * bytes of file content written. Reads the tar up to its end-of-archive marker, not necessarily to EOF.
     *
     * @param layer the layer's digest, named in every error
     */
    static long unpack(Digest layer, InputStream tar, Path root) {
        Syscalls.requireOpenat2();
        int rootFd;
        try {
            rootFd = Syscalls.openDirectory(root);
        } catch (ErrnoException e) {
            throw new SnapshotException("cannot open the snapshot directory for layer " + layer + ": " + e.getMessage(), e);
        }
        try {
            LayerUnpacker unpacker = new LayerUnpacker(layer, rootFd);
            unpacker.run(tar);
            return unpacker.contentBytes;
        } finally {
            Syscalls.close(rootFd);
        }
    }

    private void run(InputStream in) {
        // The tar stream is not closed here: the caller reads on to EOF to finish its digests.
        @SuppressWarnings("resource")
        TarArchiveInputStream tar = new TarArchiveInputStream(in, StandardCharsets.UTF_8.name());
        while (true) {
            TarArchiveEntry entry;
            try {
                entry = tar.getNextEntry();
            } catch (IOException e) {
                throw new SnapshotException("layer " + layer + " is not a readable tar: " + e.getMessage()
                        + " (the blob is corrupt or not a layer; pull or build the image again)", e);
            }
            if (entry == null) {
                break;
            }
            try {
                apply(entry, tar);
            } catch (Refusal r) {
                throw new SnapshotException("layer " + layer + " entry " + entry.getName() + " " + r.getMessage() + " (rejected)");
            } catch (ErrnoException e) {
                throw new SnapshotException("layer " + layer + " entry " + entry.getName() + " cannot be unpacked: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new SnapshotException("layer " + layer + " entry " + entry.getName() + " cannot be read: " + e.getMessage()
                        + " (the blob is corrupt; pull or build the image again)", e);
            }
        }
        setDirectoryTimes();
    }

    private void apply(TarArchiveEntry entry, InputStream content) throws Refusal, IOException {
        EntryPath path = EntryPath.parse(entry.getName());
        switch (path.kind()) {
            case IGNORED -> {
            }
            case OPAQUE -> opaque(path);
            case WHITEOUT -> whiteout(path);
            case PATH -> {
                if (path.isRoot()) {
                    root(entry);
                } else {
                    create(entry, path, content);
                }
            }
        }
    }

    private void create(TarArchiveEntry entry, EntryPath path, InputStream content) throws Refusal, IOException {
        byte type = entry.getLinkFlag();
        switch (type) {
            case TarConstants.LF_DIR -> directory(entry, path);
            case TarConstants.LF_SYMLINK -> symlink(entry, path);
            case TarConstants.LF_LINK -> hardlink(entry, path);
            case TarConstants.LF_FIFO -> fifo(entry, path);
            case TarConstants.LF_CHR -> throw new Refusal("is a character device " + entry.getDevMajor() + ":" + entry.getDevMinor()
                    + "; device nodes are refused (a container gets its /dev from the runtime)");
            case TarConstants.LF_BLK -> throw new Refusal("is a block device " + entry.getDevMajor() + ":" + entry.getDevMinor()
                    + "; device nodes are refused (a container gets its /dev from the runtime)");
            case TarConstants.LF_NORMAL, TarConstants.LF_OLDNORM, TarConstants.LF_CONTIG -> {
                if (entry.getName().endsWith("/")) {
                    directory(entry, path); // pre-POSIX tars mark directories by the trailing slash alone
                } else {
                    file(entry, path, content);
                }
            }
            default -> throw new Refusal("has tar entry type '" + (char) type + "', which layers do not use (unsupported)");
        }
    }

    // ------------------------------------------------------------------ entry kinds

    private void root(TarArchiveEntry entry) throws Refusal, ErrnoException {
        if (!entry.isDirectory()) {
            throw new Refusal("would replace the root directory with something that is not a directory");
        }
        String shown = entry.getName();
        Syscalls.fchown(rootFd, entry.getLongUserId(), entry.getLongGroupId(), shown);
        Syscalls.fchmod(rootFd, entry.getMode() & 07777, shown);
        directoryTimes.put(".", times(entry));
    }

    private void directory(TarArchiveEntry entry, EntryPath path) throws Refusal, IOException {
        int parent = openParent(path, true);
        try {
            if (!clear(parent, path.name(), true)) {
                Syscalls.mkdirat(parent, path.name(), 0700);
            }
            int fd = Syscalls.openat2(parent, path.name(), LibC.O_RDONLY | Syscalls.O_DIRECTORY, Syscalls.RESOLVE_INSIDE_NO_SYMLINKS);
            try {
                Syscalls.fchown(fd, entry.getLongUserId(), entry.getLongGroupId(), path.relative());
                Syscalls.fchmod(fd, entry.getMode() & 07777, path.relative());
            } finally {
                Syscalls.close(fd);
            }
            directoryTimes.put(path.relative(), times(entry));
        } finally {
            Syscalls.close(parent);
        }
    }

    private void file(TarArchiveEntry entry, EntryPath path, InputStream content) throws Refusal, IOException {
        int parent = openParent(path, true);
        try {
            clear(parent, path.name(), false);
            int fd = Syscalls.createFile(parent, path.name());
            try {
                contentBytes += Syscalls.writeAll(fd, content, path.relative());
                // chown before chmod: chown clears the set-user-ID and set-group-ID bits.
                Syscalls.fchown(fd, entry.getLongUserId(), entry.getLongGroupId(), path.relative());
                Syscalls.fchmod(fd, entry.getMode() & 07777, path.relative());
                FileTime[] t = times(entry);
                Syscalls.futimens(fd, t[0], t[1], path.relative());
            } finally {
                Syscalls.close(fd);
            }
        } finally {
            Syscalls.close(parent);
        }
    }

    /** Symlinks may point anywhere (/bin -> usr/bin, /etc/alternatives/x -> /usr/...); only writes through them are checked. */
    private void symlink(TarArchiveEntry entry, EntryPath path) throws Refusal, IOException {
        String target = entry.getLinkName();
        if (target == null || target.isEmpty()) {
            throw new Refusal("is a symlink with an empty target");
        }
        if (target.indexOf('\0') >= 0) {
            throw new Refusal("is a symlink whose target contains a NUL character");
        }
        int parent = openParent(path, true);
        try {
            clear(parent, path.name(), false);
            Syscalls.symlinkat(target, parent, path.name());
            Syscalls.lchownat(parent, path.name(), entry.getLongUserId(), entry.getLongGroupId());
            FileTime[] t = times(entry);
            Syscalls.lutimensat(parent, path.name(), t[0], t[1]);
        } finally {
            Syscalls.close(parent);
        }
    }

    /** A hardlink to an entry earlier in this layer, its target resolved beneath the root like any other path. */
    private void hardlink(TarArchiveEntry entry, EntryPath path) throws Refusal, IOException {
        EntryPath target = EntryPath.parseLinkTarget(entry.getLinkName());
        if (target.components().equals(path.components())) {
            throw new Refusal("is a hardlink to itself");
        }
        int targetParent = openDirectory(target.parent(), false, "is a hardlink to " + entry.getLinkName() + ", whose target");
        try {
            if (Syscalls.lstatIfExists(targetParent, target.name()) == null) {
                throw new Refusal("is a hardlink to " + entry.getLinkName() + ", which is not an entry earlier in this layer");
            }
            int parent = openParent(path, true);
            try {
                clear(parent, path.name(), false);
                try {
                    Syscalls.linkat(targetParent, target.name(), parent, path.name());
                } catch (ErrnoException e) {
                    if (e.errno() == LibC.EPERM) {
                        throw new Refusal("is a hardlink to " + entry.getLinkName() + ", which is a directory");
                    }
                    throw e;
                }
            } finally {
                Syscalls.close(parent);
            }
        } finally {
            Syscalls.close(targetParent);
        }
    }

    private void fifo(TarArchiveEntry entry, EntryPath path) throws Refusal, IOException {
        int parent = openParent(path, true);
        try {
            clear(parent, path.name(), false);
            Syscalls.mknodat(parent, path.name(), LibC.S_IFIFO | 0600, 0, 0);
            // Opening a FIFO blocks, so its owner and mode are set through an O_PATH descriptor's /proc link.
            int fd = Syscalls.openat2(parent, path.name(), LibC.O_PATH, Syscalls.RESOLVE_INSIDE_NO_SYMLINKS);
            try {
                Syscalls.lchownat(parent, path.name(), entry.getLongUserId(), entry.getLongGroupId());
                Syscalls.chmodProcFd(fd, entry.getMode() & 07777, path.relative());
                FileTime[] t = times(entry);
                Syscalls.lutimensat(parent, path.name(), t[0], t[1]);
            } finally {
                Syscalls.close(fd);
            }
        } finally {
            Syscalls.close(parent);
        }
    }

    /** {@code .wh.NAME}: a 0/0 character device, unless this layer already holds NAME (a whiteout only hides lower layers). */
    private void whiteout(EntryPath path) throws Refusal, IOException {
        int parent = openParent(path, true);
        try {
            if (Syscalls.lstatIfExists(parent, path.name()) == null) {
                Syscalls.mknodat(parent, path.name(), LibC.S_IFCHR, 0, 0);
            }
        } finally {
            Syscalls.close(parent);
        }
    }

    private void opaque(EntryPath dir) throws Refusal, ErrnoException {
        int fd = openDirectory(dir.components(), true, "is in a directory that");
        try {
            Syscalls.fsetxattr(fd, OPAQUE_XATTR, new byte[] {'y'}, dir.relative());
        } finally {
            Syscalls.close(fd);
        }
    }

    // ------------------------------------------------------------------ resolution beneath the root

    private int openParent(EntryPath path, boolean create) throws Refusal, ErrnoException {
        return openDirectory(path.parent(), create, "has a parent directory that");
    }

    /**
     * Opens the directory at {@code components} below the root, creating missing ones (0755, root-owned, as tar
     * does) when asked. Each lookup starts at the root's descriptor, so RESOLVE_BENEATH always means "beneath
     * the root", also for symlinks met along the way.
     *
     * @param subject how the refusal starts, e.g. "has a parent directory that"
     */
    private int openDirectory(List<String> components, boolean create, String subject) throws Refusal, ErrnoException {
        String relative = EntryPath.relative(components);
        try {
            return openBeneath(relative);
        } catch (ErrnoException e) {
            if (e.errno() != LibC.ENOENT || !create) {
                throw refusalOr(e, subject, relative);
            }
        }
        for (int i = 1; i <= components.size(); i++) {
            String prefix = EntryPath.relative(components.subList(0, i));
            try {
                Syscalls.close(openBeneath(prefix));
                continue;
            } catch (ErrnoException e) {
                if (e.errno() != LibC.ENOENT) {
                    throw refusalOr(e, subject, prefix);
                }
            }
            int parent;
            try {
                parent = openBeneath(EntryPath.relative(components.subList(0, i - 1)));
            } catch (ErrnoException e) {
                throw refusalOr(e, subject, prefix);
            }
            try {
                Syscalls.mkdirat(parent, components.get(i - 1), 0755);
            } finally {
                Syscalls.close(parent);
            }
        }
        try {
            return openBeneath(relative);
        } catch (ErrnoException e) {
            throw refusalOr(e, subject, relative);
        }
    }

    private int openBeneath(String relative) throws ErrnoException {
        return Syscalls.openat2(rootFd, relative, LibC.O_RDONLY | Syscalls.O_DIRECTORY, Syscalls.RESOLVE_INSIDE);
    }

    /** EXDEV and ELOOP from openat2 mean a symlink led out of the root (or round in a loop): a refusal, not an I/O error. */
    private static ErrnoException refusalOr(ErrnoException e, String subject, String relative) throws Refusal {
        switch (e.errno()) {
            case LibC.EXDEV -> throw new Refusal(subject + " resolves outside the root through a symlink (" + relative + ")");
            case LibC.ELOOP -> throw new Refusal(subject + " resolves through a symlink loop or a magic link (" + relative + ")");
            case LibC.ENOTDIR -> throw new Refusal(subject + " is not a directory in this layer (" + relative + ")");
            case LibC.ENOENT -> throw new Refusal(subject + " does not exist in this layer (" + relative + ")");
            default -> {
                return e;
            }
        }
    }

    /**
     * Makes room for a new entry {@code name} in {@code parent}: removes what an earlier entry of this layer put
     * there (later entries win, as in tar), except that an existing directory is kept for a new directory.
     * Returns true when a directory was kept.
     */
    private boolean clear(int parent, String name, boolean directory) throws ErrnoException, IOException {
        Syscalls.Stat existing = Syscalls.lstatIfExists(parent, name);
        if (existing == null) {
            return false;
        }
        if (existing.isDirectory()) {
            if (directory) {
                return true;
            }
            removeTree(parent, name);
        } else {
            Syscalls.unlinkat(parent, name, false);
        }
        return false;
    }

    /**
     * Deletes the directory {@code name} in {@code parent} and what it holds. The directory is opened without
     * following symlinks and its contents are deleted through its /proc/self/fd link, which names the inode the
     * descriptor holds; the walk below it does not follow symlinks either.
     */
    private static void removeTree(int parent, String name) throws IOException {
        int fd = Syscalls.openat2(parent, name, LibC.O_RDONLY | Syscalls.O_DIRECTORY, Syscalls.RESOLVE_INSIDE_NO_SYMLINKS);
        try (DirectoryStream<Path> children = Files.newDirectoryStream(Path.of("/proc/self/fd/" + fd))) {
            for (Path child : children) {
                Snapshotter.deleteTree(child);
            }
        } finally {
            Syscalls.close(fd);
        }
        Syscalls.unlinkat(parent, name, true);
    }

    private void setDirectoryTimes() {
        for (Map.Entry<String, FileTime[]> d : directoryTimes.entrySet()) {
            int fd;
            try {
                fd = Syscalls.openat2(rootFd, d.getKey(), LibC.O_RDONLY | Syscalls.O_DIRECTORY, Syscalls.RESOLVE_INSIDE_NO_SYMLINKS);
            } catch (ErrnoException e) {
                continue; // replaced by a later entry of this layer
            }
            try {
                Syscalls.futimens(fd, d.getValue()[0], d.getValue()[1], d.getKey());
            } catch (ErrnoException e) {
                throw new SnapshotException("layer " + layer + " directory " + d.getKey() + " cannot be unpacked: " + e.getMessage(), e);
            } finally {
                Syscalls.close(fd);
            }
        }
    }

    /** {atime, mtime}: the tar's mtime (with PAX sub-second precision), and its atime where it has one. */
    private static FileTime[] times(TarArchiveEntry entry) {
        FileTime mtime = entry.getLastModifiedTime();
        FileTime atime = entry.getLastAccessTime();
        return new FileTime[] {atime != null ? atime : mtime, mtime};
    }
}
