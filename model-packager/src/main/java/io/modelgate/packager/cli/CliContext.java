package io.modelgate.packager.cli;

import io.modelgate.packager.store.ImageStore;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** What a subcommand from another module gets: the state directory, the store and the output streams. */
public abstract class CliContext implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    /**
     * True for commands whose arguments after the first positional one belong to something else (the container
     * command of {@code run IMAGE CMD…}), so that {@code run busybox sh -c …} does not read -c as its own option.
     */
    public boolean stopsAtPositional() {
        return false;
    }

    /** The modelgate home (--home, $MODELGATE_HOME or ~/.modelgate). */
    protected Path home() {
        return ((Main) spec.root().userObject()).home();
    }

    protected ImageStore store() {
        return ImageStore.open(home());
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }
}
