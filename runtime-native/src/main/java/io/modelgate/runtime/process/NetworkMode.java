package io.modelgate.runtime.process;

/** Which network namespace a container gets. */
public enum NetworkMode {
    /** Its own namespace with only a loopback device (down until someone brings it up). */
    NONE,
    /** Its own namespace, which a {@link Prestart} hook wires to the host bridge before the container runs. */
    BRIDGE,
    /** The host's namespace: no isolation, the container is told its port instead. */
    HOST;

    String specValue() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    static NetworkMode fromSpecValue(String value) {
        return valueOf(value.toUpperCase(java.util.Locale.ROOT));
    }
}
