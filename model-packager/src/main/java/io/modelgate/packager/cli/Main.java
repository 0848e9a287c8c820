package io.modelgate.packager.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/** The {@code modelgate} command line: Docker's verbs over modelgate's image store. */
@Command(name = "modelgate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Package ML models as reproducible OCI images and manage the local image store.")
public final class Main {
    /**
     * The subcommands, in the order help lists them. They are registered with picocli only when needed: building
     * picocli's model of every command by reflection is a good part of a short command's start-up.
     */
    static final List<Class<?>> COMMANDS = withProvided(
            PackCommand.class,
            StoreCommands.Images.class,
            StoreCommands.Inspect.class,
            StoreCommands.Tag.class,
            StoreCommands.Rmi.class,
            StoreCommands.SystemCommand.class,
            ArchiveCommands.Save.class,
            ArchiveCommands.Load.class,
            ArchiveCommands.Import.class,
            RegistryCommands.Push.class,
            RegistryCommands.Pull.class,
            RegistryCommands.Login.class);

    /** The built-in commands, then those of other modules on the class path, then help. */
    private static List<Class<?>> withProvided(Class<?>... builtIn) {
        List<Class<?>> all = new java.util.ArrayList<>(List.of(builtIn));
        for (CommandProvider provider : providers()) {
            all.addAll(provider.commands());
        }
        all.add(CommandLine.HelpCommand.class);
        return List.copyOf(all);
    }

    @Option(names = "--home", scope = ScopeType.INHERIT, paramLabel = "DIR",
            description = "Where modelgate keeps its state (default: $MODELGATE_HOME, else ~/.modelgate).")
    Path home;

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces on errors.")
    boolean debug;

    Path home() {
        if (home != null) {
            return home.toAbsolutePath();
        }
        String env = System.getenv("MODELGATE_HOME");
        if (env != null && !env.isBlank()) {
            return Path.of(env).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".modelgate");
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit status (used by tests too). */
    public static int run(String... args) {
        return execute(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    /** Runs the CLI with its output going to {@code out} and {@code err}, for callers that embed it (tests, tools). */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        return commandLine(out, err, args).execute(args);
    }

    /** The command line with every subcommand. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, new String[0]);
    }

    /** The command line for these arguments: only the subcommand they name, or all when they name none. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, String[] args) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main);
        Class<?> named = namedCommand(args);
        for (Class<?> command : named != null ? List.of(named) : COMMANDS) {
            cli.addSubcommand(command.getAnnotation(Command.class).name(), command);
        }
        addHelpOptions(cli);
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            PrintWriter e = commandLine.getErr();
            e.println("modelgate: error: " + describe(ex));
            if (main.debug) {
                ex.printStackTrace(e);
            }
            e.flush();
            return 1;
        });
        return cli;
    }

    /** The modules on the class path that add to the command line. */
    static List<CommandProvider> providers() {
        return java.util.ServiceLoader.load(CommandProvider.class).stream().map(java.util.ServiceLoader.Provider::get).toList();
    }

    /** The subcommand class the first non-option argument names (skipping --home's value), or null. */
    static Class<?> namedCommand(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--home")) {
                i++;
            } else if (!a.startsWith("-")) {
                for (Class<?> c : COMMANDS) {
                    if (c != CommandLine.HelpCommand.class && c.getAnnotation(Command.class).name().equals(a)) {
                        return c;
                    }
                }
                return null;
            }
        }
        return null;
    }

    /** --help and --version on every subcommand, not only the root, so "modelgate push --help" works. */
    private static void addHelpOptions(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            if (!sub.getCommandSpec().mixinStandardHelpOptions() && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                sub.getCommandSpec().mixinStandardHelpOptions(true);
            }
            if (sub.getCommand() instanceof CliContext context && context.stopsAtPositional()) {
                sub.setStopAtPositional(true);
            }
            addHelpOptions(sub);
        }
    }

    private static String describe(Throwable ex) {
        String message = ex.getMessage();
        if (ex instanceof java.nio.file.NoSuchFileException) {
            return "no such file or directory: " + message;
        }
        if (ex instanceof java.nio.file.AccessDeniedException) {
            return "permission denied: " + message;
        }
        if (message == null || message.isBlank()) {
            return ex.getClass().getSimpleName();
        }
        return message;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"modelgate " + (v == null ? "development build" : v)};
        }
    }
}
