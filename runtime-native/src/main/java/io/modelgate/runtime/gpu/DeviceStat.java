package io.modelgate.runtime.gpu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/** Reads which device a node is: the seam between "which file" and the kernel, so CDI specs are tested without devices. */
@FunctionalInterface
interface DeviceStat {

    /** A device's type and numbers. */
    record Number(char type, int major, int minor) {
    }

    /** The device {@code node} names, or empty when it is something else (a file, a directory). */
    Optional<Number> stat(Path node) throws IOException;

    /** stat(2) through {@code unix:mode} and {@code unix:rdev}. */
    static DeviceStat host() {
        return node -> {
            Map<String, Object> a = Files.readAttributes(node, "unix:mode,rdev");
            int format = (Integer) a.get("mode") & 0170000;
            long rdev = (Long) a.get("rdev");
            return switch (format) {
                case 0020000 -> Optional.of(new Number('c', major(rdev), minor(rdev)));
                case 0060000 -> Optional.of(new Number('b', major(rdev), minor(rdev)));
                default -> Optional.empty();
            };
        };
    }

    /** glibc's gnu_dev_major: 12 bits in the middle, the rest above bit 32. */
    static int major(long rdev) {
        return (int) (((rdev >>> 8) & 0xfff) | ((rdev >>> 32) & ~0xfffL));
    }

    /** glibc's gnu_dev_minor: 8 bits at the bottom, 12 more above the major's low bits. */
    static int minor(long rdev) {
        return (int) ((rdev & 0xff) | ((rdev >>> 12) & ~0xffL));
    }
}
