package io.modelgate.runtime.cli;

import io.modelgate.packager.cli.CommandProvider;
import io.modelgate.runtime.container.ContainerNotFoundException;
import io.modelgate.runtime.container.Containers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Adds the container commands to {@code modelgate}, containers to {@code inspect}, and to {@code system prune}. */
public final class RuntimeCommandProvider implements CommandProvider {
    @Override
    public List<Class<?>> commands() {
        return List.of(RuntimeCommands.Run.class, RuntimeCommands.Ps.class, RuntimeCommands.Logs.class,
                RuntimeCommands.Stop.class, RuntimeCommands.Kill.class, RuntimeCommands.Rm.class,
                RuntimeCommands.Exec.class, RuntimeCommands.Volume.class);
    }

    @Override
    public Optional<Object> inspect(Path home, String ref) throws IOException {
        if (!Files.isDirectory(home.resolve("containers"))) {
            return Optional.empty();
        }
        try {
            return Optional.of(Containers.open(home).inspect(ref));
        } catch (ContainerNotFoundException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    @Override
    public List<String> prune(Path home) throws IOException, InterruptedException {
        Containers.PruneResult r = Containers.open(home).prune();
        List<String> lines = new ArrayList<>();
        r.containers().forEach(c -> lines.add("Deleted container: " + c));
        lines.add("Deleted " + r.snapshots() + " snapshots (" + r.snapshotBytes() + " bytes)");
        return lines;
    }
}
