package io.modelgate.runtime.net;

import io.modelgate.packager.image.Digest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * The {@code bridge} network mode: a host bridge with the subnet's first address, and for each container a veth
 * pair whose host end is on the bridge and whose other end is the container's {@code eth0}, with an address of
 * its own and a default route through the bridge. Two containers can then both listen on 8080 and the host
 * reaches each at its own address.
 * <p>
 * Addresses are handed out by creating one file per address under the state directory (creation is atomic, so
 * concurrent processes never get the same address), and each attachment is recorded so that a restarted
 * process can detach what an earlier one attached.
 */
public final class BridgeNetwork {
    public static final String DEFAULT_BRIDGE = "modelgate0";
    public static final Subnet DEFAULT_SUBNET = Subnet.parse("10.89.0.0/16");

    private final Path ipam;
    private final Path endpoints;
    private final String bridge;
    private final Subnet subnet;
    private final IpRoute ip;

    private BridgeNetwork(Path stateDir, String bridge, Subnet subnet, IpRoute ip) {
        if (bridge.isEmpty() || bridge.length() > 15 || !bridge.matches("[A-Za-z0-9_.-]+")) {
            throw new IllegalArgumentException("bridge name '" + bridge + "' must be 1-15 letters, digits, '_', '.' or '-'");
        }
        this.ipam = stateDir.resolve("ipam").resolve(subnet.toString().replace('/', '_'));
        this.endpoints = stateDir.resolve("endpoints");
        this.bridge = bridge;
        this.subnet = subnet;
        this.ip = ip;
    }

    /** A bridge network whose bookkeeping lives under {@code stateDir}. */
    public static BridgeNetwork open(Path stateDir, String bridge, Subnet subnet) {
        return new BridgeNetwork(stateDir, bridge, subnet, IpRoute.system());
    }

    public String bridge() {
        return bridge;
    }

    public Subnet subnet() {
        return subnet;
    }

    /**
     * Creates the bridge with the gateway address and a MAC address of its own, or leaves it as it is when it
     * exists (pinning its MAC address if nothing did yet).
     *
     * <p>A bridge whose MAC address was never set takes the lowest of its ports' addresses, so it changes when the
     * veth holding it goes away. Containers still send to the address they learned for the gateway, which the bridge
     * then drops: a replica's answers stop reaching the host until its neighbour entry expires (seconds, under load
     * tens of seconds). A set address never follows the ports.
     */
    public synchronized void ensureBridge() {
        if (!ip.tryHost("link", "show", "dev", bridge)) {
            if (!ip.tryHost("link", "add", "name", bridge, "address", randomMac(), "type", "bridge")) {
                if (!ip.tryHost("link", "show", "dev", bridge)) {
                    ip.host("create bridge " + bridge, List.of("link add name " + bridge + " type bridge"));
                }
            }
        }
        List<String> configure = new ArrayList<>();
        unpinnedMac().ifPresent(mac -> configure.add("link set dev " + bridge + " address " + mac));
        configure.add("address replace " + subnet.gateway() + "/" + subnet.prefix() + " dev " + bridge);
        configure.add("link set dev " + bridge + " up");
        ip.host("configure bridge " + bridge, configure);
    }

    /**
     * The address to pin on a bridge whose MAC address follows its ports (made before addresses were pinned, or by
     * hand): the one it has now, so that no container loses the host, or a new one while it has none. Empty when it
     * is pinned already, or when sysfs cannot tell.
     */
    private Optional<String> unpinnedMac() {
        Path dev = Path.of("/sys/class/net", bridge);
        try {
            // NET_ADDR_SET: the address was set, by us or anyone
            if (Files.readString(dev.resolve("addr_assign_type")).strip().equals("3")) {
                return Optional.empty();
            }
            String now = Files.readString(dev.resolve("address")).strip();
            return Optional.of(now.equals("00:00:00:00:00:00") ? randomMac() : now);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** A random unicast, locally administered MAC address. */
    static String randomMac() {
        byte[] b = new byte[6];
        ThreadLocalRandom.current().nextBytes(b);
        b[0] = (byte) ((b[0] & 0xfe) | 0x02);
        return HexFormat.ofDelimiter(":").formatHex(b);
    }

    /**
     * Gives the network namespace of {@code pid} an address on the bridge: a veth pair, the container end
     * renamed {@code eth0}, loopback up, and a default route through the bridge.
     */
    public Endpoint attach(String containerId, long pid) {
        ensureBridge();
        String address = allocate(containerId);
        String host = vethName("mg", containerId);
        String peer = vethName("mp", containerId);
        Endpoint endpoint = new Endpoint(containerId, address, subnet.prefix(), host, subnet.gateway());
        try {
            ip.tryHost("link", "del", "dev", host);
            ip.host("create veth pair for container " + containerId, List.of(
                    "link add name " + host + " type veth peer name " + peer,
                    "link set dev " + host + " master " + bridge,
                    "link set dev " + host + " up",
                    "link set dev " + peer + " netns " + pid));
            ip.inNamespaceOf(pid, "configure eth0 of container " + containerId, List.of(
                    "link set dev lo up",
                    "link set dev " + peer + " name eth0",
                    "address add " + address + "/" + subnet.prefix() + " dev eth0",
                    "link set dev eth0 up",
                    "route add default via " + subnet.gateway()));
            record(endpoint);
            return endpoint;
        } catch (RuntimeException e) {
            ip.tryHost("link", "del", "dev", host);
            release(address);
            throw e;
        }
    }

    /** Removes a container's veth pair and frees its address; nothing happens when it has none. */
    public void detach(String containerId) {
        Optional<Endpoint> endpoint = find(containerId);
        ip.tryHost("link", "del", "dev", vethName("mg", containerId));
        endpoint.ifPresent(e -> release(e.address()));
        try {
            Files.deleteIfExists(endpoints.resolve(containerId));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The endpoint recorded for a container, if it is attached. */
    public Optional<Endpoint> find(String containerId) {
        try {
            String[] f = Files.readString(endpoints.resolve(containerId), StandardCharsets.UTF_8).trim().split(" ");
            return Optional.of(new Endpoint(containerId, f[0], Integer.parseInt(f[1]), f[2], f[3]));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Detaches every recorded container that is not in {@code live} (left behind by a crash). */
    public List<String> detachAllExcept(Set<String> live) {
        List<String> removed = new ArrayList<>();
        if (!Files.isDirectory(endpoints)) {
            return removed;
        }
        try (Stream<Path> s = Files.list(endpoints)) {
            for (Path p : s.toList()) {
                String id = p.getFileName().toString();
                if (!live.contains(id)) {
                    detach(id);
                    removed.add(id);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return removed;
    }

    /** Brings up loopback in the network namespace of {@code pid} (the {@code none} mode: lo only, as Docker has it). */
    public static void loopbackUp(long pid) {
        IpRoute.system().inNamespaceOf(pid, "bring up loopback", List.of("link set dev lo up"));
    }

    /** Deletes the bridge itself (tests, and users removing modelgate). */
    public void removeBridge() {
        ip.tryHost("link", "del", "dev", bridge);
    }

    /** Interface names are at most 15 bytes: a prefix and 10 hex digits of the container id's hash. */
    static String vethName(String prefix, String containerId) {
        return prefix + Digest.sha256(containerId.getBytes(StandardCharsets.UTF_8)).hex().substring(0, 10);
    }

    /**
     * Takes the first free address after the one taken last, wrapping around, as Docker's allocator does: an address
     * just freed is not handed out again at once, so a peer still holding a kept-alive connection to the container
     * that had it (its namespace went without a FIN) is not reset by the next one. The cursor is a hint beside the
     * address files; the address files alone decide what is taken.
     */
    private String allocate(String containerId) {
        try {
            Files.createDirectories(ipam);
            int capacity = subnet.capacity();
            int start = (lastAllocated() + 1) % capacity;
            for (int i = 0; i < capacity; i++) {
                int n = (start + i) % capacity;
                String address = subnet.host(n);
                try {
                    Files.writeString(ipam.resolve(address), containerId, StandardCharsets.UTF_8,
                            java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
                    remember(n);
                    return address;
                } catch (FileAlreadyExistsException taken) {
                    // next
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot allocate an address in " + ipam, e);
        }
        throw new NetworkException("no free address left in " + subnet + " (" + subnet.capacity() + " in use)");
    }

    private Path cursor() {
        return ipam.resolveSibling(ipam.getFileName() + ".last");
    }

    private int lastAllocated() {
        try {
            return Integer.parseInt(Files.readString(cursor(), StandardCharsets.US_ASCII).strip());
        } catch (IOException | NumberFormatException e) {
            return -1; // none yet (or unreadable): start at the first host
        }
    }

    private void remember(int n) {
        try {
            Files.writeString(cursor(), Integer.toString(n), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            // only a hint: the next allocation starts lower, which is still correct
        }
    }

    private void release(String address) {
        try {
            Files.deleteIfExists(ipam.resolve(address));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void record(Endpoint e) {
        try {
            Files.createDirectories(endpoints);
            Path temp = endpoints.resolve("." + e.containerId() + ".tmp");
            Files.writeString(temp, e.address() + " " + e.prefix() + " " + e.hostInterface() + " " + e.gateway() + "\n");
            Files.move(temp, endpoints.resolve(e.containerId()), java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
