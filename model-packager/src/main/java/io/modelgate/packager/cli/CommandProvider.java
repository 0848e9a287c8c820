package io.modelgate.packager.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Adds to {@code modelgate} from modules that depend on this one (the runtime's {@code run}, {@code ps}…, the
 * gateway's {@code serve}), found with {@link java.util.ServiceLoader}. The command classes are picocli
 * {@code @Command}s; those that need the store or --home extend {@link CliContext}.
 */
public interface CommandProvider {
    List<Class<?>> commands();

    /**
     * What {@code inspect REF} shows when REF names something of this module (a container), as Docker's
     * inspect looks at containers before images; empty when REF is not one of its things.
     */
    default Optional<Object> inspect(Path home, String ref) throws IOException {
        return Optional.empty();
    }

    /** Frees what this module holds and no longer needs ({@code system prune}); returns lines to print. */
    default List<String> prune(Path home) throws IOException, InterruptedException {
        return List.of();
    }
}
