package io.modelgate.packager.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;
import java.nio.file.Path;

/** The {@code modelgate} command line: Docker's verbs over modelgate's image store. */
@Command(name = "modelgate", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Package ML models as reproducible OCI images and manage the local image store.",
        subcommands = {
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
                RegistryCommands.Login.class,
                CommandLine.HelpCommand.class
        })
public final class Main {

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
        return commandLine(new PrintWriter(System.out, true), new PrintWriter(System.err, true)).execute(args);
    }

    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cli = new CommandLine(main);
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

    /** --help and --version on every subcommand, not only the root, so "modelgate push --help" works. */
    private static void addHelpOptions(CommandLine cli) {
        for (CommandLine sub : cli.getSubcommands().values()) {
            if (!sub.getCommandSpec().mixinStandardHelpOptions() && !(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                sub.getCommandSpec().mixinStandardHelpOptions(true);
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
