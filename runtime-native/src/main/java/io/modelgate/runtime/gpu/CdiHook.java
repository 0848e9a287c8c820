package io.modelgate.runtime.gpu;

import java.util.List;

/**
 * An OCI hook a CDI spec asks for (e.g. {@code nvidia-cdi-hook update-ldcache}). modelgate records hooks but does
 * not run them: see {@link GpuGrant#hooksNotRun()}.
 */
public record CdiHook(String hookName, String path, List<String> args, List<String> env) {

    public CdiHook {
        if (hookName.isBlank() || path.isBlank()) {
            throw new IllegalArgumentException("a CDI hook needs a hookName and a path");
        }
        args = List.copyOf(args);
        env = List.copyOf(env);
    }

    @Override
    public String toString() {
        return hookName + ": " + (args.isEmpty() ? path : String.join(" ", args));
    }
}
