package io.modelgate.runtime.container;

import java.util.List;
import java.util.Map;

/**
 * What {@code ps} and {@code inspect} show of a container.
 *
 * @param state     running, exited, or dead (its monitor vanished without recording an exit)
 * @param exitCode  the exit code once exited (137 after SIGKILL), else null
 * @param oomKilled whether the kernel's OOM killer killed a process of the container for its memory limit
 */
public record ContainerInfo(String id, String name, String image, String imageDigest, String created, String state,
                            Long pid, Integer exitCode, boolean oomKilled, String address, List<String> command,
                            List<PortMapping> ports, List<String> mounts, Map<String, Object> limits,
                            List<String> gpus, String stateDir) {
    public String shortId() {
        return id.substring(0, 12);
    }

    public boolean running() {
        return "running".equals(state);
    }
}
