package io.modelgate.runtime.net;

import io.modelgate.runtime.testing.Http;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Real veth pairs on a real bridge, into network namespaces the test makes itself (unshare -n). Traffic goes
 * only to those namespaces. Needs root, iproute2 and busybox (for httpd).
 */
class BridgeNetworkIT {
    @TempDir
    Path tmp;
    BridgeNetwork network;
    final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void setUp() {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "needs root");
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "needs busybox-static");
        // A bridge and subnet of the test's own, so nothing of a real installation is touched.
        network = BridgeNetwork.open(tmp.resolve("net"), "mgtest" + ProcessHandle.current().pid() % 10000,
                Subnet.parse("10.213.7.0/24"));
    }

    @AfterEach
    void tearDown() {
        processes.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
        if (network != null) {
            network.detachAllExcept(Set.of());
            network.removeBridge();
        }
    }

    /** A process in a new network namespace, serving {@code text} with busybox httpd on port 8080. */
    private long namespaceServing(String text) throws IOException, InterruptedException {
        Path www = Files.createDirectories(tmp.resolve("www-" + text));
        Files.writeString(www.resolve("index.html"), text);
        Process p = new ProcessBuilder("unshare", "--net", "--", "/bin/busybox", "sh", "-c",
                "while ! /bin/busybox ip addr show eth0 2>/dev/null | grep -q inet; do sleep 0.05; done;"
                        + " exec /bin/busybox httpd -f -p 8080 -h " + www)
                .redirectErrorStream(true).start();
        processes.add(p);
        return p.pid();
    }

    @Test
    void reaches_two_servers_on_the_same_port_at_their_own_addresses() throws Exception {
        long a = namespaceServing("alpha");
        long b = namespaceServing("beta");
        Endpoint ea = network.attach("ctr-a", a);
        Endpoint eb = network.attach("ctr-b", b);
        assertThat(ea.address()).isEqualTo("10.213.7.2");
        assertThat(eb.address()).isEqualTo("10.213.7.3");
        assertThat(ea.gateway()).isEqualTo("10.213.7.1");
        assertThat(Http.get("http://" + ea.address() + ":8080/")).isEqualTo("alpha");
        assertThat(Http.get("http://" + eb.address() + ":8080/")).isEqualTo("beta");
    }

    @Test
    void frees_the_address_and_removes_the_veth_on_detach() throws Exception {
        long a = namespaceServing("gamma");
        Endpoint e = network.attach("ctr-c", a);
        assertThat(linkExists(e.hostInterface())).isTrue();
        assertThat(network.find("ctr-c")).contains(e);
        network.detach("ctr-c");
        assertThat(linkExists(e.hostInterface())).isFalse();
        assertThat(network.find("ctr-c")).isEmpty();
        long b = namespaceServing("delta");
        Endpoint next = network.attach("ctr-d", b);
        assertThat(next.address()).as("a freed address is not handed out again at once (a peer may still hold a "
                + "connection to it)").isNotEqualTo(e.address());
        assertThat(Http.get("http://" + next.address() + ":8080/")).isEqualTo("delta");
    }

    @Test
    void keeps_its_mac_address_while_containers_come_and_go() throws Exception {
        Endpoint ea = network.attach("ctr-e", namespaceServing("epsilon"));
        String mac = sysfs(network.bridge(), "address");
        Endpoint eb = network.attach("ctr-f", namespaceServing("zeta"));
        assertThat(sysfs(network.bridge(), "address")).isEqualTo(mac);
        network.detach(ea.containerId());
        // a bridge on its ports' lowest MAC would change it by now, and the container left would send its answers
        // to an address the bridge no longer takes
        assertThat(sysfs(network.bridge(), "address")).isEqualTo(mac);
        assertThat(sysfs(network.bridge(), "addr_assign_type")).as("set, not derived from the ports").isEqualTo("3");
        assertThat(Http.get("http://" + eb.address() + ":8080/")).isEqualTo("zeta");
    }

    @Test
    void pins_the_mac_address_a_bridge_made_elsewhere_has_without_changing_it() throws Exception {
        run("ip", "link", "add", "name", network.bridge(), "type", "bridge");
        run("ip", "link", "add", "name", "mgtestport", "type", "veth", "peer", "name", "mgtestpeer");
        run("ip", "link", "set", "dev", "mgtestport", "master", network.bridge());
        try {
            String derived = sysfs(network.bridge(), "address");
            network.ensureBridge();
            assertThat(sysfs(network.bridge(), "address")).as("containers on it keep reaching the host").isEqualTo(derived);
            assertThat(sysfs(network.bridge(), "addr_assign_type")).isEqualTo("3");
        } finally {
            run("ip", "link", "del", "dev", "mgtestport");
        }
    }

    @Test
    void makes_unicast_locally_administered_mac_addresses() {
        for (int i = 0; i < 64; i++) {
            String mac = BridgeNetwork.randomMac();
            assertThat(mac).matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
            int first = Integer.parseInt(mac.substring(0, 2), 16);
            assertThat(first & 1).as("unicast").isZero();
            assertThat(first & 2).as("locally administered").isEqualTo(2);
        }
    }

    @Test
    void names_the_container_when_its_namespace_is_gone() throws Exception {
        long gone = ProcessHandle.current().pid() + 1_000_000;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> network.attach("ctr-x", gone))
                .isInstanceOf(NetworkException.class)
                .hasMessageContaining("container ctr-x");
        assertThat(Files.list(tmp.resolve("net/ipam/10.213.7.0_24")).toList()).as("no address leaked").isEmpty();
    }

    private static String sysfs(String device, String attribute) throws IOException {
        return Files.readString(Path.of("/sys/class/net", device, attribute)).strip();
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", command) + ": " + out).isZero();
    }

    private static boolean linkExists(String name) throws Exception {
        Process p = new ProcessBuilder("ip", "link", "show", "dev", name).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        return p.waitFor() == 0;
    }
}
