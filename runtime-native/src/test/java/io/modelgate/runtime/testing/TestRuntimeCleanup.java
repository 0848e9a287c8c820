package io.modelgate.runtime.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * After a test class that ran containers: waits (at most {@link #WAIT_SECONDS} s) until the class's containers are
 * gone, that is until no container cgroup is left below the tests' parent cgroup in any hierarchy, then removes the
 * tests' own bridge and the parent cgroups, named by the failsafe configuration, so a test run leaves no network
 * device or cgroup directory behind. Containers are often removed asynchronously (a gateway's reconciler after
 * DELETE), so removing the parent at once would fail and leave it behind.
 */
public final class TestRuntimeCleanup implements AfterAllCallback {
    static final int WAIT_SECONDS = 60;

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        String parent = System.getProperty("modelgate.cgroupParent");
        boolean ownParent = parent != null && !parent.equals("modelgate");
        if (ownParent) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
            while (!containerCgroups(parent).isEmpty() && System.nanoTime() < deadline) {
                TimeUnit.MILLISECONDS.sleep(200);
            }
            List<Path> left = containerCgroups(parent);
            if (!left.isEmpty()) {
                System.err.printf("%s: containers still running after %d s, their cgroups stay: %s%n",
                        context.getDisplayName(), WAIT_SECONDS, left);
            }
        }
        String bridge = System.getProperty("modelgate.bridge");
        if (bridge != null && !bridge.equals("modelgate0")) {
            Process p = new ProcessBuilder("ip", "link", "del", "dev", bridge).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor();
        }
        if (ownParent) {
            removeParent(parent);
        }
    }

    /** The tests' parent cgroup in the unified hierarchy and in each v1 hierarchy, where it exists. */
    private static List<Path> parentCgroups(String parent) throws IOException {
        List<Path> dirs = new ArrayList<>();
        Path root = Path.of("/sys/fs/cgroup");
        try (Stream<Path> hierarchies = Files.list(root)) {
            for (Path hierarchy : hierarchies.toList()) {
                if (Files.isDirectory(hierarchy.resolve(parent))) {
                    dirs.add(hierarchy.resolve(parent));
                }
            }
        }
        if (Files.isDirectory(root.resolve(parent))) {
            dirs.add(root.resolve(parent));
        }
        return dirs;
    }

    /** Directories below the parent cgroup {@code parent}: one per container (and hierarchy) while it exists. */
    public static List<Path> containerCgroups(String parent) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path dir : parentCgroups(parent)) {
            try (Stream<Path> children = Files.list(dir)) {
                children.filter(Files::isDirectory).forEach(found::add);
            } catch (IOException gone) {
                // removed meanwhile
            }
        }
        return found;
    }

    /** Removes the parent cgroup {@code parent} from every hierarchy, where it is empty. */
    public static void removeParent(String parent) throws IOException {
        for (Path dir : parentCgroups(parent)) {
            rmdir(dir);
        }
    }

    private static void rmdir(Path dir) {
        try {
            Files.deleteIfExists(dir);
        } catch (IOException stillInUse) {
            // a container outlived the wait above (reported there)
        }
    }
}
