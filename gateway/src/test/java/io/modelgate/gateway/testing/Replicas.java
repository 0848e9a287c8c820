package io.modelgate.gateway.testing;

import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.regex.Pattern;

/** A deployment's replica containers as the runtime lists them: named {@code <deployment>-<6 hex digits>}. */
public final class Replicas {
    private Replicas() {
    }

    /** Every container of {@code containers}' home, running or not. */
    public static List<ContainerInfo> all(Containers containers) {
        try {
            return containers.list(true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The deployment's containers, running or not. */
    public static List<ContainerInfo> of(Containers containers, String deployment) {
        Pattern name = Pattern.compile(Pattern.quote(deployment) + "-[0-9a-f]{6}");
        return all(containers).stream().filter(c -> name.matcher(c.name()).matches()).toList();
    }

    /** The names of the deployment's containers, running or not. */
    public static List<String> names(Containers containers, String deployment) {
        return of(containers, deployment).stream().map(ContainerInfo::name).toList();
    }

    /** The names of the deployment's running containers. */
    public static List<String> running(Containers containers, String deployment) {
        return of(containers, deployment).stream().filter(ContainerInfo::running).map(ContainerInfo::name).toList();
    }
}
