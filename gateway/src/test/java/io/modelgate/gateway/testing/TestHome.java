package io.modelgate.gateway.testing;

import io.modelgate.packager.cli.Main;
import io.modelgate.packager.testing.ExternalTools;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

/** The gateway home the integration tests share (modelgate.home, set by the failsafe configuration). */
public final class TestHome {
    private TestHome() {
    }

    /** The configured home; the test is skipped without root (containers) or without the property. */
    public static Path configured() {
        ExternalTools.requireRoot();
        String configured = System.getProperty("modelgate.home");
        assumeThat(configured).as("modelgate.home (set by the failsafe configuration)").isNotNull();
        return Path.of(configured);
    }

    /** Runs the modelgate CLI on {@code home}, asserts that it succeeded and returns what it printed. */
    public static String cli(Path home, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] argv = Stream.concat(Stream.of("--home", home.toString()), Stream.of(args)).toArray(String[]::new);
        int status = Main.execute(new PrintWriter(out), new PrintWriter(err), argv);
        assertThat(status).as(String.join(" ", args) + ": " + err).isZero();
        return out.toString();
    }
}
