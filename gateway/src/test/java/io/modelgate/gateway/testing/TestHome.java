package io.modelgate.gateway.testing;

import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Cli;

import java.nio.file.Path;

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
        Cli.Run run = Cli.inHome(home, args);
        assertThat(run.status()).as(String.join(" ", args) + ": " + run.err()).isZero();
        return run.out();
    }
}
