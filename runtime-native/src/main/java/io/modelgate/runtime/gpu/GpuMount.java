package io.modelgate.runtime.gpu;

import java.nio.file.Path;

/** A bind mount of a host file (a driver library, nvidia-smi) into a container: {@code source} is a real file, never a symlink. */
public record GpuMount(Path source, String target, boolean readOnly) {

    public GpuMount {
        if (!source.isAbsolute()) {
            throw new IllegalArgumentException("mount source '" + source + "' must be an absolute path");
        }
        if (!target.startsWith("/") || target.contains("/../") || target.endsWith("/..")) {
            throw new IllegalArgumentException("mount target '" + target + "' must be absolute, without '..'");
        }
    }

    /** {@code source} seen read-only at {@code target} in the container. */
    public static GpuMount readOnly(Path source, String target) {
        return new GpuMount(source, target, true);
    }

    @Override
    public String toString() {
        return (source.toString().equals(target) ? target : source + " -> " + target) + (readOnly ? " (ro)" : " (rw)");
    }
}
