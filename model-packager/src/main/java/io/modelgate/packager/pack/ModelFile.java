package io.modelgate.packager.pack;

import io.modelgate.packager.image.Digest;

import java.nio.file.Path;

/**
 * One entry of a model directory as it will appear in a layer; paths are relative and use '/'. For a file,
 * {@code content} is its sha256 when the stat cache knows it, else null until the file is read.
 */
record ModelFile(String path, Kind kind, int mode, long size, Digest content, String linkTarget, Path source,
                 FileHashes.Stat stat) {
    enum Kind { DIRECTORY, FILE, SYMLINK }

    ModelFile withContent(Digest digest) {
        return new ModelFile(path, kind, mode, size, digest, linkTarget, source, stat);
    }

    /** The line that stands for this entry in a layer's cache key: everything its tar bytes depend on. */
    String keyLine() {
        return switch (kind) {
            case DIRECTORY -> "D " + mode + " " + path;
            case FILE -> "F " + mode + " " + size + " " + content + " " + path;
            case SYMLINK -> "L " + path + " -> " + linkTarget;
        };
    }
}
