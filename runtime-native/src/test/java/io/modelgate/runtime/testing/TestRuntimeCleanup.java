package io.modelgate.runtime.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * After a test class that ran containers: removes the tests' own bridge and the (by then empty) parent cgroups,
 * named by the failsafe configuration, so a test run leaves no network device or cgroup directory behind.
 */
public final class TestRuntimeCleanup implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        String bridge = System.getProperty("modelgate.bridge");
        if (bridge != null && !bridge.equals("modelgate0")) {
            Process p = new ProcessBuilder("ip", "link", "del", "dev", bridge).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor();
        }
        String parent = System.getProperty("modelgate.cgroupParent");
        if (parent != null && !parent.equals("modelgate")) {
            try (Stream<Path> roots = Files.list(Path.of("/sys/fs/cgroup"))) {
                for (Path root : roots.toList()) {
                    rmdir(root.resolve(parent));
                }
            }
            rmdir(Path.of("/sys/fs/cgroup", parent));
        }
    }

    private static void rmdir(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException stillInUse) {
            // a container of another test class still runs there; its own cleanup removes it
        }
    }
}
