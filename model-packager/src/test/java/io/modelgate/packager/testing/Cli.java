package io.modelgate.packager.testing;

import io.modelgate.packager.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Runs the {@code modelgate} command in-process, as the tests drive it: its exit status and what it printed. */
public final class Cli {
    private Cli() {
    }

    /** One run of the command. */
    public record Run(int status, String out, String err) {
        /** The last line of standard output (where pack, pull and run -d print the digest or id). */
        public String lastLine() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1];
        }
    }

    public static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    /** Runs the command on the state in {@code home} ({@code --home}). */
    public static Run inHome(Path home, String... args) {
        return run(Stream.concat(Stream.of("--home", home.toString()), Stream.of(args)).toArray(String[]::new));
    }
}
