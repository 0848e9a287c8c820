package io.modelgate.runtime.container;

/** {@code -p [HOSTADDR:]HOSTPORT:CTRPORT}: a container port published on the host (loopback by default). */
public record PortMapping(String hostAddress, int hostPort, int containerPort) {
    public PortMapping {
        if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) {
            throw new IllegalArgumentException("port mapping " + hostPort + ":" + containerPort + " is out of range (1-65535)");
        }
        if (!hostAddress.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw new IllegalArgumentException("host address '" + hostAddress + "' must be an IPv4 address");
        }
    }

    /** Parses {@code 8081:8080} or {@code 127.0.0.1:8081:8080}. */
    public static PortMapping parse(String text) {
        String[] parts = text.split(":");
        try {
            return switch (parts.length) {
                case 2 -> new PortMapping("127.0.0.1", Integer.parseInt(parts[0]), Integer.parseInt(parts[1]));
                case 3 -> new PortMapping(parts[0], Integer.parseInt(parts[1]), Integer.parseInt(parts[2]));
                default -> throw new IllegalArgumentException("port mapping '" + text + "' must be HOSTPORT:CTRPORT or ADDR:HOSTPORT:CTRPORT");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port mapping '" + text + "' must be HOSTPORT:CTRPORT with numbers");
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith("port mapping '" + text) ? e
                    : new IllegalArgumentException("port mapping '" + text + "': " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return hostAddress + ":" + hostPort + "->" + containerPort + "/tcp";
    }
}
