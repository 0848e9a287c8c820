package io.modelgate.runtime.process;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A one-layer image for container tests: the host's static busybox (Debian busybox-static) with applet symlinks, the
 * usual mount points and an /etc/passwd with root and nobody — unpacked, ready to be a lower dir.
 */
final class BusyboxLayer {
    static final Path BUSYBOX = Path.of("/bin/busybox");
    private static final List<String> APPLETS = List.of("sh", "cat", "echo", "env", "grep", "head", "hostname", "id",
            "kill", "ls", "mkdir", "ps", "pwd", "readlink", "rm", "sleep", "touch", "true", "false", "wc");

    private BusyboxLayer() {
    }

    /** Skips the calling test unless it runs as root with a static busybox, the two things real containers need. */
    static void assumeRootAndBusybox() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "containers need root");
        Assumptions.assumeTrue(Files.isExecutable(BUSYBOX), "needs /bin/busybox (apt-get install busybox-static)");
    }

    static Path create(Path dir) throws IOException {
        for (String d : List.of("bin", "dev", "etc", "proc", "root", "sys", "tmp")) {
            Files.createDirectories(dir.resolve(d));
        }
        Files.copy(BUSYBOX, dir.resolve("bin/busybox"));
        for (String applet : APPLETS) {
            Files.createSymbolicLink(dir.resolve("bin").resolve(applet), Path.of("busybox"));
        }
        Files.writeString(dir.resolve("etc/passwd"),
                "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        Files.writeString(dir.resolve("etc/group"), "root:x:0:\nnogroup:x:65534:\nstaff:x:50:nobody\n");
        return dir;
    }
}
