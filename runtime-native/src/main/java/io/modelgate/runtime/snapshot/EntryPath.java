package io.modelgate.runtime.snapshot;

import java.util.ArrayList;
import java.util.List;

/**
 * A tar entry name, cleaned lexically and classified by the OCI whiteout rules (image-spec layer.md). This is
 * the first line of defence only: names that leave the root on their face ({@code ../x}, {@code /etc/passwd})
 * are refused here, and everything else is still resolved by the kernel beneath the snapshot root (openat2
 * with RESOLVE_BENEATH), which is what catches symlinks leading outside.
 *
 * @param components the path below the root, without {@code .}, {@code ..} or empty parts; empty for the root.
 *                   For a {@link Kind#WHITEOUT} the last component is the name being deleted, without
 *                   {@code .wh.}; for {@link Kind#OPAQUE} they name the directory made opaque
 * @param kind       what the entry asks for
 */
record EntryPath(List<String> components, Kind kind) {
    static final String WHITEOUT_PREFIX = ".wh.";
    static final String OPAQUE = ".wh..wh..opq";
    /** aufs bookkeeping ({@code .wh..wh.plnk}, {@code .wh..wh.aufs}) that image tools skip. */
    static final String META_PREFIX = ".wh..wh.";

    enum Kind {
        /** An ordinary entry: create what the tar header says at this path. */
        PATH,
        /** {@code .wh.NAME}: hide NAME of the layers below. */
        WHITEOUT,
        /** {@code .wh..wh..opq}: hide everything the layers below hold in this directory. */
        OPAQUE,
        /** aufs metadata, skipped. */
        IGNORED
    }

    EntryPath {
        components = List.copyOf(components);
    }

    /** Parses the name of an entry; the refusal says why it cannot be unpacked. */
    static EntryPath parse(String name) throws Refusal {
        List<String> raw = split(name);
        List<String> clean = clean(raw);
        for (int i = 0; i < raw.size() - 1; i++) {
            String part = raw.get(i);
            if (part.startsWith(META_PREFIX)) {
                return new EntryPath(clean, Kind.IGNORED);
            }
            if (part.startsWith(WHITEOUT_PREFIX)) {
                throw new Refusal("is a whiteout name with a '/' after the prefix (" + part + "/...); a whiteout"
                        + " names one entry in its own directory");
            }
        }
        String last = raw.isEmpty() ? "" : raw.get(raw.size() - 1);
        if (!last.startsWith(WHITEOUT_PREFIX)) {
            return new EntryPath(clean, Kind.PATH);
        }
        if (name.endsWith("/")) {
            throw new Refusal("is a whiteout name with a '/' after the prefix; a whiteout is not a directory");
        }
        if (last.equals(OPAQUE)) {
            return new EntryPath(clean.subList(0, clean.size() - 1), Kind.OPAQUE);
        }
        if (last.startsWith(META_PREFIX)) {
            return new EntryPath(clean, Kind.IGNORED);
        }
        String target = last.substring(WHITEOUT_PREFIX.length());
        if (target.isEmpty()) {
            throw new Refusal("is a whiteout with an empty name, which would delete its directory itself");
        }
        if (target.equals(".") || target.equals("..")) {
            String victim = target.equals("..") ? "the directory above it" : clean.size() == 1 ? "the root" : "its own directory";
            throw new Refusal("is a whiteout of '" + target + "', which would delete " + victim);
        }
        List<String> whited = new ArrayList<>(clean.subList(0, clean.size() - 1));
        whited.add(target);
        return new EntryPath(whited, Kind.WHITEOUT);
    }

    /** Parses the target of a hardlink, which must name an entry inside the root. */
    static EntryPath parseLinkTarget(String target) throws Refusal {
        List<String> clean;
        try {
            clean = clean(split(target));
        } catch (Refusal r) {
            throw new Refusal("is a hardlink to " + target + ", whose target " + r.getMessage());
        }
        if (clean.isEmpty()) {
            throw new Refusal("is a hardlink to the root directory");
        }
        return new EntryPath(clean, Kind.PATH);
    }

    private static List<String> split(String name) throws Refusal {
        if (name == null || name.isEmpty()) {
            throw new Refusal("has an empty name");
        }
        if (name.indexOf('\0') >= 0) {
            throw new Refusal("contains a NUL character");
        }
        if (name.startsWith("/")) {
            throw new Refusal("is an absolute path: modelgate refuses absolute names in layers (Docker strips the"
                    + " leading '/'; rebuild the layer with relative names)");
        }
        List<String> parts = new ArrayList<>(List.of(name.split("/")));
        parts.removeIf(String::isEmpty);
        return parts;
    }

    private static List<String> clean(List<String> raw) throws Refusal {
        List<String> out = new ArrayList<>();
        for (String part : raw) {
            if (part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (out.isEmpty()) {
                    throw new Refusal("escapes the root");
                }
                out.remove(out.size() - 1);
            } else {
                out.add(part);
            }
        }
        return out;
    }

    boolean isRoot() {
        return components.isEmpty();
    }

    /** The directory holding this entry. */
    List<String> parent() {
        return components.subList(0, components.size() - 1);
    }

    /** The last component: the name created in {@link #parent()}. */
    String name() {
        return components.get(components.size() - 1);
    }

    /** The cleaned path relative to the root, as openat2 takes it ({@code .} for the root). */
    String relative() {
        return isRoot() ? "." : String.join("/", components);
    }

    static String relative(List<String> components) {
        return components.isEmpty() ? "." : String.join("/", components);
    }
}
