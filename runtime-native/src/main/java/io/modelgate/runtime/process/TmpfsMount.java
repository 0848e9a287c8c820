package io.modelgate.runtime.process;

import java.util.Objects;

/** A tmpfs in the container; options are tmpfs's own, e.g. {@code size=64m,mode=1777} (empty for defaults). */
public record TmpfsMount(String target, String options) {
    public TmpfsMount {
        Objects.requireNonNull(options, "options");
        Specs.requireContainerPath(target, "tmpfs target");
        Specs.requireNoNul(options, "tmpfs options");
    }

    public static TmpfsMount at(String target) {
        return new TmpfsMount(target, "");
    }

    public TmpfsMount withOptions(String options) {
        return new TmpfsMount(target, options);
    }
}
