package io.modelgate.runtime.container;

import java.nio.file.Path;

/**
 * {@code -v SOURCE:TARGET[:ro]}: SOURCE is an absolute host path (a bind mount; it must exist) or the name of a
 * volume (created when missing), as with Docker.
 */
public record VolumeMount(String source, String target, boolean readOnly) {
    public VolumeMount {
        if (source == null || source.isEmpty()) {
            throw new IllegalArgumentException("volume mount has no source");
        }
        if (target == null || !target.startsWith("/")) {
            throw new IllegalArgumentException("volume target '" + target + "' must be an absolute path in the container");
        }
        if (!isHostPath(source) && !Volumes.NAME.matcher(source).matches()) {
            throw new IllegalArgumentException("volume source '" + source + "' is neither an absolute host path nor a volume name"
                    + " (letters, digits, _ . -)");
        }
    }

    public static VolumeMount parse(String text) {
        String[] parts = text.split(":");
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("volume '" + text + "' must be SOURCE:TARGET or SOURCE:TARGET:ro");
        }
        boolean ro = false;
        if (parts.length == 3) {
            if (!parts[2].equals("ro") && !parts[2].equals("rw")) {
                throw new IllegalArgumentException("volume '" + text + "': option '" + parts[2] + "' must be ro or rw");
            }
            ro = parts[2].equals("ro");
        }
        return new VolumeMount(parts[0], parts[1], ro);
    }

    public boolean isBind() {
        return isHostPath(source);
    }

    private static boolean isHostPath(String s) {
        return s.startsWith("/") || s.startsWith(".");
    }

    Path hostPath() {
        return Path.of(source).toAbsolutePath().normalize();
    }
}
