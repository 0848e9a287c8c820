package io.modelgate.packager.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    @Test
    void finds_the_subcommand_after_global_options() {
        assertThat(Main.namedCommand(new String[] {"--home", "/tmp/x", "pack", "dir"})).isEqualTo(PackCommand.class);
        assertThat(Main.namedCommand(new String[] {"--home=/tmp/x", "--debug", "push", "r"})).isEqualTo(RegistryCommands.Push.class);
        assertThat(Main.namedCommand(new String[] {"--help"})).isNull();
        assertThat(Main.namedCommand(new String[] {"bogus"})).isNull();
    }

    @Test
    void registers_only_the_named_subcommand_but_lists_all_in_help() {
        var one = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), new String[] {"images"});
        assertThat(one.getSubcommands()).containsOnlyKeys("images");

        StringWriter out = new StringWriter();
        int status = Main.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter()), new String[] {"--help"}).execute("--help");
        assertThat(status).isZero();
        assertThat(out.toString()).contains("pack", "images", "inspect", "tag", "rmi", "system", "save", "load", "import",
                "push", "pull", "login");
    }

    @Test
    void answers_an_unknown_command_with_usage_status_2() {
        StringWriter err = new StringWriter();
        String[] args = {"packk", "dir"};
        int status = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(err), args).execute(args);
        assertThat(status).isEqualTo(2);
        assertThat(err.toString()).contains("Unmatched argument").contains("pack");
    }

    @Test
    void gives_every_subcommand_help() {
        StringWriter out = new StringWriter();
        String[] args = {"system", "df", "--help"};
        assertThat(Main.commandLine(new PrintWriter(out), new PrintWriter(new StringWriter()), args).execute(args)).isZero();
        assertThat(out.toString()).contains("Usage: modelgate system df");
    }
}
