package io.modelgate.packager.cli;

import java.util.List;

/**
 * Adds subcommands to {@code modelgate} from modules that depend on this one (the runtime's {@code run},
 * {@code ps}…, the gateway's {@code serve}), found with {@link java.util.ServiceLoader}. The command classes
 * are picocli {@code @Command}s; those that need the store or --home extend {@link CliContext}.
 */
public interface CommandProvider {
    List<Class<?>> commands();
}
