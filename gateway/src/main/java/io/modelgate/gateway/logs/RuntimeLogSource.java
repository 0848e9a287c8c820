package io.modelgate.gateway.logs;

import io.modelgate.gateway.deploy.DeploymentStore;
import io.modelgate.runtime.container.ContainerNotFoundException;
import io.modelgate.runtime.container.Containers;
import io.modelgate.runtime.process.LogEntry;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

/**
 * Logs of the gateway's native replicas: a replica is the deployment's when its record
 * ({@code <home>/replicas/<name>.properties}, written by the native replica runtime) says so, and its output is the
 * runtime's per-container log. A replica removed while it is read has an empty log.
 */
final class RuntimeLogSource implements LogSource {
    private static final String SUFFIX = ".properties";
    private final Path records;
    private final Containers containers;
    private final DeploymentStore store;

    RuntimeLogSource(Path home, DeploymentStore store) {
        this.records = home.resolve("replicas");
        this.containers = Containers.open(home);
        this.store = store;
    }

    @Override
    public boolean deployed(String deployment) throws IOException {
        return store.get(deployment).isPresent();
    }

    @Override
    public List<String> replicas(String deployment) throws IOException {
        TreeSet<String> names = new TreeSet<>();
        if (!Files.isDirectory(records)) {
            return List.of();
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(records, "*" + SUFFIX)) {
            for (Path f : files) {
                String file = f.getFileName().toString();
                if (file.startsWith(".")) {
                    continue; // a record being written
                }
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(f)) {
                    p.load(in);
                } catch (NoSuchFileException gone) {
                    continue; // the replica was removed meanwhile
                }
                if (deployment.equals(p.getProperty("deployment"))) {
                    names.add(file.substring(0, file.length() - SUFFIX.length()));
                }
            }
        }
        return List.copyOf(names);
    }

    @Override
    public String stamp(String replica) throws IOException {
        try {
            return containers.logStamp(replica);
        } catch (ContainerNotFoundException | NoSuchFileException | FileNotFoundException gone) {
            return "gone";
        } catch (UncheckedIOException e) {
            if (gone(e)) {
                return "gone";
            }
            throw e;
        }
    }

    @Override
    public List<LogEntry> entries(String replica) throws IOException {
        try {
            return containers.logs(replica);
        } catch (ContainerNotFoundException | NoSuchFileException | FileNotFoundException gone) {
            return List.of();
        } catch (UncheckedIOException e) {
            if (gone(e)) {
                return List.of();
            }
            throw e;
        }
    }

    /** The container's state directory went away between finding its record and reading a file in it. */
    private static boolean gone(UncheckedIOException e) {
        return e.getCause() instanceof NoSuchFileException || e.getCause() instanceof FileNotFoundException;
    }
}
