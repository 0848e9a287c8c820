package io.modelgate.packager.testing;

import org.junit.jupiter.api.Assumptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Integration tests use real tools (docker-registry, skopeo, umoci, busybox). Where one is missing the test is
 * skipped with a message saying which package brings it, except under CI (CI=true), where it fails: .ci/run
 * installs them, so a missing tool there is a broken set-up, not a reason to pass silently.
 */
public final class ExternalTools {
    private ExternalTools() {
    }

    /** The path of an executable on PATH (or an absolute path), or the test stops here. */
    public static Path require(String command, String debianPackage) {
        Optional<Path> found = find(command);
        if (found.isEmpty()) {
            String why = command + " is not installed (apt-get install " + debianPackage + ")";
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError(why);
            }
            Assumptions.abort(why);
        }
        return found.get();
    }

    /** Requires root, which mounts and namespaces need. */
    public static void requireRoot() {
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(root, "needs root");
    }

    public static Optional<Path> find(String command) {
        if (command.startsWith("/")) {
            Path p = Path.of(command);
            return Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
