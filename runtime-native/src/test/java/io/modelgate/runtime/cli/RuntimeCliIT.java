package io.modelgate.runtime.cli;

import io.modelgate.runtime.testing.Http;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.testing.BusyboxRootfs;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Cli;
import io.modelgate.packager.testing.Cli.Run;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The runtime through the command line, as a user drives it: real containers from an image imported from a
 * busybox root filesystem. Needs root (namespaces, cgroups, mounts, a bridge). The bridge, subnet and cgroup
 * parent are the tests' own (see the failsafe configuration). Traffic goes only to the tests' own containers.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.modelgate.runtime.testing.TestRuntimeCleanup.class)
class RuntimeCliIT {
    @TempDir
    Path tmp;
    Path home;

    @BeforeEach
    void importBusybox() throws IOException {
        ExternalTools.requireRoot();
        home = tmp.resolve("home");
        Path rootfs = BusyboxRootfs.create().writeTo(tmp.resolve("rootfs.tar"));
        assertThat(cli("import", rootfs.toString(), "busybox:test", "-c", "CMD [\"sh\"]").status()).isZero();
    }

    @AfterEach
    void removeEverything() {
        if (home != null) {
            Run ps = cli("ps", "-a", "-q");
            for (String id : ps.out().strip().split("\n")) {
                if (!id.isBlank()) {
                    cli("rm", "-f", id.strip());
                }
            }
        }
    }

    private Run cli(String... args) {
        return Cli.inHome(home, args);
    }

    private JsonNode inspect(String name) throws IOException {
        Run r = cli("inspect", name);
        assertThat(r.status()).as(r.err()).isZero();
        return Json.mapper().readTree(r.out()).get(0);
    }

    @Test
    void runs_the_command_as_pid_1_in_its_own_hostname_and_returns_its_status() {
        Run r = cli("run", "--rm", "busybox:test", "sh", "-c", "echo pid=$$ host=$(hostname); exit 3");
        assertThat(r.status()).isEqualTo(3);
        assertThat(r.out()).contains("pid=1").doesNotContain("host=" + hostName());
        assertThat(cli("ps", "-a", "-q").out()).as("--rm removed it").isBlank();
    }

    @Test
    void reports_an_out_of_memory_kill_in_run_and_inspect() throws IOException {
        Run r = cli("run", "--name", "hog", "--memory", "64m", "busybox:test", "sh", "-c",
                "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived");
        assertThat(r.status()).isEqualTo(137);
        assertThat(r.out()).doesNotContain("survived");
        assertThat(r.err()).contains("killed by the OOM killer");
        JsonNode info = inspect("hog");
        assertThat(info.get("state").asText()).isEqualTo("exited");
        assertThat(info.get("exitCode").asInt()).isEqualTo(137);
        assertThat(info.get("oomKilled").asBoolean()).isTrue();
        assertThat(cli("ps", "-a").out()).contains("Exited (137) OOM-killed");
    }

    @Test
    void reaches_two_containers_on_the_same_port_at_their_own_addresses_and_one_through_p() throws Exception {
        for (String name : List.of("one", "two")) {
            Run r = cli("run", "-d", "--name", name, "-p", (name.equals("two") ? "127.0.0.1:" + freePort() + ":8080" : freePort() + ":8080"),
                    "busybox:test", "sh", "-c", "mkdir /www && echo " + name + " > /www/index.html && exec httpd -f -p 8080 -h /www");
            assertThat(r.status()).as(r.err()).isZero();
        }
        for (String name : List.of("one", "two")) {
            JsonNode info = inspect(name);
            assertThat(Http.get("http://" + info.get("address").asText() + ":8080/")).isEqualTo(name + "\n");
            int hostPort = info.get("ports").get(0).get("hostPort").asInt();
            assertThat(Http.get("http://127.0.0.1:" + hostPort + "/")).isEqualTo(name + "\n");
        }
    }

    @Test
    void cannot_see_host_processes_nor_write_host_files_except_through_its_mounts() throws IOException {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Path readOnly = Files.createDirectories(tmp.resolve("ro"));
        Run r = cli("run", "--rm", "-v", shared + ":/shared", "-v", readOnly + ":/ro:ro", "busybox:test", "sh", "-c",
                "ls /proc | grep -c '^[0-9]'; echo data > /shared/out.txt; echo x > /ro/x 2>/dev/null || echo ro-refused;"
                        + " echo mine > /tmp/only-in-container");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines().findFirst().orElseThrow().strip()).as("processes visible: sh, ls, grep").isIn("2", "3");
        assertThat(r.out()).contains("ro-refused");
        assertThat(shared.resolve("out.txt")).hasContent("data");
        assertThat(Path.of("/tmp/only-in-container")).doesNotExist();
    }

    @Test
    void stops_a_fork_bomb_at_its_pids_limit() {
        Run r = cli("run", "--rm", "--pids-limit", "20", "busybox:test", "sh", "-c",
                "(i=0; while [ $i -lt 60 ]; do sleep 5 & i=$((i+1)); done) 2>/dev/null; set -- /proc/[0-9]*; echo running=$#; exit 0");
        assertThat(r.status()).as(r.out() + r.err()).isZero();
        int running = Integer.parseInt(r.out().replaceAll("(?s).*running=(\\d+).*", "$1"));
        assertThat(running).isLessThanOrEqualTo(20);
    }

    @Test
    void applies_user_workdir_env_read_only_root_and_tmpfs() {
        Run r = cli("run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/scratch", "--user", "65534:65534",
                "-w", "/scratch", "-e", "GREETING=hi", "busybox:test", "sh", "-c",
                "id -u; pwd; echo $GREETING; touch /x 2>/dev/null || echo root-ro; touch /scratch/y && echo tmpfs-rw");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("65534\n/scratch\nhi\nroot-ro\ntmpfs-rw");
    }

    @Test
    void removes_stopped_containers_in_system_prune() {
        assertThat(cli("run", "--name", "done", "--network", "none", "busybox:test", "true").status()).isZero();
        assertThat(cli("run", "-d", "--name", "alive", "--network", "none", "busybox:test", "sleep", "300").status()).isZero();
        Run prune = cli("system", "prune");
        assertThat(prune.status()).as(prune.err()).isZero();
        assertThat(prune.out()).contains("Deleted container: done").doesNotContain("alive");
        assertThat(cli("ps", "-a").out()).contains("alive").doesNotContain(" done");
        assertThat(cli("run", "--rm", "--network", "none", "busybox:test", "true").status()).as("the running container's image still runs").isZero();
    }

    @Test
    void shares_the_hosts_network_with_host_and_has_only_loopback_with_none() throws IOException {
        List<String> hostInterfaces = Files.readAllLines(Path.of("/proc/net/dev")).stream().skip(2)
                .map(l -> l.split(":")[0].strip()).toList();
        Run host = cli("run", "--rm", "--network", "host", "busybox:test", "cat", "/proc/net/dev");
        assertThat(host.status()).as(host.err()).isZero();
        for (String i : hostInterfaces) {
            assertThat(host.out()).contains(i + ":");
        }
        Run none = cli("run", "--rm", "--network", "none", "busybox:test", "cat", "/proc/net/dev");
        assertThat(none.out().lines().skip(2).map(l -> l.split(":")[0].strip()).toList()).containsExactly("lo");
        Run bridge = cli("run", "--rm", "busybox:test", "cat", "/proc/net/dev");
        assertThat(bridge.out().lines().skip(2).map(l -> l.split(":")[0].strip()).toList()).containsExactlyInAnyOrder("lo", "eth0");
    }

    @Test
    void cannot_use_a_device_it_was_not_given() {
        Run r = cli("run", "--rm", "--network", "none", "busybox:test", "sh", "-c",
                "mknod /tmp/disk b 8 0 && head -c 1 /tmp/disk >/dev/null 2>/tmp/err; cat /tmp/err; echo done");
        assertThat(r.out()).contains("done").containsIgnoringCase("not permitted");
    }

    @Test
    void keeps_a_detached_container_with_its_logs_and_exit_status() throws Exception {
        Run started = cli("run", "-d", "--name", "bg", "busybox:test", "sh", "-c", "echo hello; echo oops >&2; sleep 0.3; exit 5");
        assertThat(started.status()).isZero();
        assertThat(started.lastLine()).matches("[a-f0-9]{64}");
        for (int i = 0; i < 100 && inspect("bg").get("state").asText().equals("running"); i++) {
            TimeUnit.MILLISECONDS.sleep(50);
        }
        JsonNode info = inspect("bg");
        assertThat(info.get("exitCode").asInt()).isEqualTo(5);
        Run logs = cli("logs", "bg");
        assertThat(logs.out()).contains("hello");
        assertThat(logs.err()).contains("oops");
    }

    @Test
    void runs_exec_in_a_running_container_and_stops_it() throws Exception {
        assertThat(cli("run", "-d", "--name", "svc", "busybox:test", "sleep", "300").status()).isZero();
        Process exec = io.modelgate.runtime.container.Containers.open(home).exec("svc", List.of("hostname"));
        String hostname = new String(exec.getInputStream().readAllBytes()).strip();
        assertThat(exec.waitFor()).isZero();
        assertThat(hostname).isEqualTo(inspect("svc").get("id").asText().substring(0, 12));
        long start = System.nanoTime();
        assertThat(cli("stop", "-t", "1", "svc").status()).isZero();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(8));
        assertThat(inspect("svc").get("state").asText()).isEqualTo("exited");
    }

    @Test
    void leaves_nothing_behind_after_rm() throws Exception {
        Run r = cli("run", "-d", "--name", "gone", "-p", freePort() + ":8080", "busybox:test", "sleep", "300");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode info = inspect("gone");
        String id = info.get("id").asText();
        String address = info.get("address").asText();
        assertThat(cli("rm", "gone").status()).as("a running container needs -f").isEqualTo(1);
        assertThat(cli("rm", "-f", "gone").status()).isZero();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(id);
        assertThat(cgroupDirs(id)).isEmpty();
        assertThat(home.resolve("containers").resolve(id)).doesNotExist();
        assertThat(home.resolve("network/ipam")).isDirectoryNotContaining(p -> Files.exists(p.resolve(address)));
        Process links = new ProcessBuilder("ip", "-br", "link").start();
        assertThat(new String(links.getInputStream().readAllBytes()))
                .doesNotContain(io.modelgate.runtime.net.BridgeNetwork.class.getSimpleName().isEmpty() ? "" : "mg" + hostVeth(id));
    }

    @Test
    void lists_and_removes_a_container_whose_removal_was_cut_short() throws Exception {
        Run r = cli("run", "-d", "--name", "half", "busybox:test", "sleep", "300");
        assertThat(r.status()).as(r.err()).isZero();
        String id = inspect("half").get("id").asText();
        assertThat(cli("stop", "-t", "0", "half").status()).isZero();
        // what a SIGKILL in the middle of 'rm' leaves: the record, without the process state it points to
        Files.delete(home.resolve("containers").resolve(id).resolve("run/spec"));

        Run ps = cli("ps", "-a");
        assertThat(ps.status()).as(ps.err()).isZero();
        assertThat(ps.out()).contains("half");
        assertThat(cli("logs", "half").err()).contains("removal was cut short");
        Run rm = cli("rm", "half");
        assertThat(rm.status()).as(rm.err()).isZero();
        assertThat(home.resolve("containers").resolve(id)).doesNotExist();
        assertThat(cgroupDirs(id)).isEmpty();
    }

    @Test
    void refuses_clearly_an_unknown_image_a_missing_mount_and_a_tiny_memory_limit() {
        Run unknown = cli("run", "--rm", "nosuch:1");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.err()).contains("no image 'nosuch:1'");
        Run mount = cli("run", "--rm", "-v", "/does/not/exist:/data", "busybox:test", "true");
        assertThat(mount.status()).isEqualTo(1);
        assertThat(mount.err()).contains("/does/not/exist").contains("does not exist");
        Run memory = cli("run", "--rm", "--memory", "1m", "busybox:test", "true");
        assertThat(memory.status()).isEqualTo(1);
        assertThat(memory.err()).contains("memory").contains("6 MiB");
        assertThat(cli("ps", "-a", "-q").out()).as("nothing half-created").isBlank();
    }

    @Test
    void refuses_an_image_whose_layer_escapes_the_root_and_keeps_no_snapshot() throws Exception {
        Path evil = tmp.resolve("evil.tar");
        try (var tar = new org.apache.commons.compress.archivers.tar.TarArchiveOutputStream(Files.newOutputStream(evil))) {
            var e = new org.apache.commons.compress.archivers.tar.TarArchiveEntry("../../../../tmp/escaped-" + ProcessHandle.current().pid());
            byte[] content = "owned".getBytes();
            e.setSize(content.length);
            tar.putArchiveEntry(e);
            tar.write(content);
            tar.closeArchiveEntry();
        }
        assertThat(cli("import", evil.toString(), "evil:1", "-c", "CMD [\"sh\"]").status()).isZero();
        Run r = cli("run", "--rm", "evil:1");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("escapes the root").contains("rejected");
        assertThat(Path.of("/tmp/escaped-" + ProcessHandle.current().pid())).doesNotExist();
        assertThat(cli("ps", "-a", "-q").out()).isBlank();
    }

    @Test
    void manages_named_volumes_that_outlive_containers() {
        assertThat(cli("volume", "create", "data").status()).isZero();
        assertThat(cli("run", "--rm", "-v", "data:/data", "busybox:test", "sh", "-c", "echo kept > /data/f").status()).isZero();
        Run read = cli("run", "--rm", "-v", "data:/data", "busybox:test", "cat", "/data/f");
        assertThat(read.out()).contains("kept");
        assertThat(cli("volume", "ls").out()).contains("data");
        assertThat(cli("volume", "rm", "data").status()).isZero();
        assertThat(cli("volume", "ls").out()).doesNotContain("data\n");
    }

    private static List<Path> cgroupDirs(String id) throws IOException {
        List<Path> found = new ArrayList<>();
        try (var roots = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path root : roots.toList()) {
                Path p = root.resolve(System.getProperty("modelgate.cgroupParent", "modelgate")).resolve(id);
                if (Files.exists(p)) {
                    found.add(p);
                }
            }
        }
        Path v2 = Path.of("/sys/fs/cgroup", System.getProperty("modelgate.cgroupParent", "modelgate"), id);
        if (Files.exists(v2) && !found.contains(v2)) {
            found.add(v2);
        }
        return found;
    }

    private static String hostVeth(String id) {
        return io.modelgate.packager.image.Digest.sha256(id.getBytes()).hex().substring(0, 10);
    }

    private static String hostName() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    private static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
