package io.modelgate.runtime.gpu;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A device node a container gets: bound from {@code hostPath} when there is one, otherwise made with mknod from
 * type, major and minor; {@code permissions} (a subset of "rwm") goes into the device cgroup rule.
 */
public record DeviceNode(String path, Optional<Path> hostPath, char type, int major, int minor, String permissions) {

    public DeviceNode {
        if (!path.startsWith("/") || path.contains("/../") || path.endsWith("/..")) {
            throw new IllegalArgumentException("device path '" + path + "' must be absolute, without '..'");
        }
        if (type != 'c' && type != 'b') {
            throw new IllegalArgumentException("device " + path + " has type '" + type + "'; only 'c' (character) and 'b' (block) exist");
        }
        if (major < 0 || minor < 0) {
            throw new IllegalArgumentException("device " + path + " has a negative number " + major + ":" + minor);
        }
        if (permissions.isEmpty() || !permissions.matches("r?w?m?")) {
            throw new IllegalArgumentException("device " + path + " has permissions '" + permissions + "'; use a subset of 'rwm' in that order");
        }
    }

    /** The host's node at {@code hostPath}, seen in the container at {@code path}, with all of read, write and mknod. */
    public static DeviceNode bind(Path hostPath, String path, char type, int major, int minor) {
        return new DeviceNode(path, Optional.of(hostPath), type, major, minor, "rwm");
    }

    /** A node the host lacks (e.g. /dev/nvidia-uvm before anything loaded it): made in the container with mknod. */
    public static DeviceNode create(String path, char type, int major, int minor) {
        return new DeviceNode(path, Optional.empty(), type, major, minor, "rwm");
    }

    public DeviceNode withPermissions(String permissions) {
        return new DeviceNode(path, hostPath, type, major, minor, permissions);
    }

    /** The cgroup v1 {@code devices.allow} line (and the v2 eBPF rule's fields): {@code c 195:0 rwm}. */
    public String cgroupRule() {
        return type + " " + major + ":" + minor + " " + permissions;
    }

    @Override
    public String toString() {
        return path + " (" + type + " " + major + ":" + minor + hostPath.map(h -> h.toString().equals(path) ? "" : ", from " + h)
                .orElse(", made with mknod") + ")";
    }
}
