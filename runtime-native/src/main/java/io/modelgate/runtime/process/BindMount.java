package io.modelgate.runtime.process;

import java.nio.file.Path;
import java.util.Objects;

/** A host file or directory mounted into the container (recursively, like Docker's volumes). */
public record BindMount(Path source, String target, boolean readOnly) {
    public BindMount {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(target, "target");
        if (!source.isAbsolute()) {
            throw new IllegalArgumentException("bind mount source " + source + " must be an absolute path");
        }
        Specs.requireContainerPath(target, "bind mount target");
        if (target.equals("/")) {
            throw new IllegalArgumentException("bind mount target / would replace the container's root; mount below it");
        }
        Specs.requireNoNul(source.toString(), "bind mount source");
    }

    public static BindMount readWrite(Path source, String target) {
        return new BindMount(source, target, false);
    }

    public static BindMount readOnly(Path source, String target) {
        return new BindMount(source, target, true);
    }
}
