package io.modelgate.runtime.process;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Real containers from a busybox layer: needs root, namespaces and overlayfs. */
class ContainerProcessIT {
    private static final Duration TIMEOUT = Duration.ofSeconds(20);
    private static final String DOCKER_DEFAULT_CAPS = "00000000a80425fb";

    @TempDir
    static Path layers;
    private static Path busybox;

    @TempDir
    Path tmp;
    private final List<ContainerProcess> started = new ArrayList<>();
    private final List<Path> cgroups = new ArrayList<>();
    private int count;

    @BeforeAll
    static void layer() throws IOException {
        BusyboxLayer.assumeRootAndBusybox();
        busybox = BusyboxLayer.create(layers.resolve("busybox"));
    }

    @BeforeEach
    void root() {
        BusyboxLayer.assumeRootAndBusybox();
    }

    @AfterEach
    void cleanUp() throws Exception {
        Exception first = null;
        for (ContainerProcess c : started) {
            try {
                c.cleanup();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        for (Path cgroup : cgroups) {
            Files.deleteIfExists(cgroup); // rmdir; empty once its processes are gone
        }
        if (first != null) {
            throw first;
        }
    }

    private ContainerSpec spec(String... argv) {
        String id = "it-" + ++count;
        return ContainerSpec.of(id, List.of(busybox), tmp.resolve("state-" + id), List.of(argv)).withHostname("web");
    }

    private ContainerProcess start(ContainerSpec spec) throws IOException {
        ContainerProcess c = ContainerProcess.start(spec);
        started.add(c);
        return c;
    }

    /** Runs to the end; returns stdout. */
    private String run(ContainerSpec spec) throws Exception {
        ContainerProcess c = start(spec);
        assertThat(c.waitFor(TIMEOUT)).as("container ended").isPresent();
        return stdout(c);
    }

    private static String stdout(ContainerProcess c) throws IOException {
        return c.logs().stream().filter(e -> e.stream() == LogEntry.Stream.STDOUT).map(LogEntry::text)
                .collect(Collectors.joining("\n"));
    }

    private static String all(ContainerProcess c) throws IOException {
        return c.logs().stream().map(LogEntry::text).collect(Collectors.joining("\n"));
    }

    private static String sh(ContainerProcess c, String script) throws Exception {
        Process p = c.exec(List.of("sh", "-c", script));
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("exec %s: %s", script, err).isZero();
        return out;
    }

    @Test
    void runs_as_pid_1_with_its_own_hostname() throws Exception {
        assertThat(run(spec("sh", "-c", "echo $$; hostname"))).isEqualTo("1\nweb");
    }

    @Test
    void reports_the_exit_code() throws Exception {
        ContainerProcess c = start(spec("sh", "-c", "exit 3"));

        assertThat(c.waitFor(TIMEOUT)).contains(ExitStatus.exited(3));
        assertThat(c.exitStatus()).contains(ExitStatus.exited(3));
        assertThat(c.isRunning()).isFalse();
    }

    @Test
    void reports_a_kill_by_signal_as_128_plus_the_signal() throws Exception {
        ContainerProcess c = start(spec("sleep", "60"));
        assertThat(c.isRunning()).isTrue();

        c.signal(9);

        assertThat(c.waitFor(TIMEOUT)).contains(new ExitStatus(137, 9));
        assertThatThrownBy(() -> c.signal(9)).hasMessageContaining("container it-1: cannot send signal 9, it has exited");
    }

    @Test
    void forwards_sigterm_from_its_monitor_to_the_container() throws Exception {
        ContainerProcess c = start(spec("sh", "-c", "trap 'exit 42' TERM; echo ready; while true; do sleep 0.05; done"));
        awaitLog(c, "ready");

        assertThat(ProcessHandle.of(c.monitorPid()).orElseThrow().destroy()).isTrue(); // SIGTERM

        assertThat(c.waitFor(TIMEOUT)).contains(ExitStatus.exited(42));
    }

    @Test
    void sees_only_its_own_processes() throws Exception {
        String out = run(spec("ls", "/proc"));

        assertThat(out.lines().filter(l -> l.matches("\\d+"))).containsExactly("1");
    }

    @Test
    void writes_to_its_root_stay_in_the_container() throws Exception {
        ContainerProcess c = start(spec("sh", "-c", "echo secret > /written && echo secret > /etc/passwd"));

        assertThat(c.waitFor(TIMEOUT)).contains(ExitStatus.exited(0));
        assertThat(busybox.resolve("written")).doesNotExist();
        assertThat(Files.readString(busybox.resolve("etc/passwd"))).startsWith("root:x:0:0");
    }

    @Test
    void writes_through_a_bind_mount_reach_the_host_and_a_read_only_one_refuses_them() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        Path readOnly = Files.createDirectories(tmp.resolve("ro"));
        Files.writeString(readOnly.resolve("model.onnx"), "weights");
        ContainerSpec spec = spec("sh", "-c", "echo hi > /data/out.txt; cat /models/model.onnx; echo; echo x > /models/new 2>&1; echo rc=$?")
                .withMounts(List.of(BindMount.readWrite(shared, "/data"), BindMount.readOnly(readOnly, "/models")));

        ContainerProcess c = start(spec);
        c.waitFor(TIMEOUT);

        assertThat(Files.readString(shared.resolve("out.txt"))).isEqualTo("hi\n");
        assertThat(stdout(c)).contains("weights", "rc=1");
        assertThat(all(c)).contains("Read-only file system");
        assertThat(readOnly.resolve("new")).doesNotExist();
    }

    @Test
    void a_missing_bind_source_is_a_clear_error_and_leaves_nothing_behind() throws Exception {
        Path missing = tmp.resolve("no-such-dir");
        ContainerSpec spec = spec("true").withMounts(List.of(BindMount.readWrite(missing, "/data")));

        assertThatThrownBy(() -> ContainerProcess.start(spec))
                .isInstanceOf(ContainerException.class)
                .hasMessage("container it-1: mount " + missing + " → /data: No such file or directory")
                .extracting(e -> ((ContainerException) e).errno()).isEqualTo(2);
        assertThat(spec.stateDir()).doesNotExist();
    }

    @Test
    void an_unknown_program_is_a_clear_error() {
        assertThatThrownBy(() -> ContainerProcess.start(spec("no-such-program", "--help")))
                .hasMessageContaining("container it-1: exec no-such-program: not found in PATH /usr/local/sbin:")
                .hasMessageEndingWith(": No such file or directory");
    }

    @Test
    void masks_kernel_files_and_makes_proc_sys_read_only() throws Exception {
        ContainerProcess c = start(spec("sh", "-c", """
                for f in /proc/keys /proc/timer_list /proc/kcore; do [ -e $f ] && echo "$f $(head -c 100 $f | wc -c)"; done
                echo "firmware $(ls /sys/firmware | wc -l)"
                echo 1 > /proc/sys/kernel/domainname || echo sys-refused
                echo c > /proc/sysrq-trigger || echo sysrq-refused
                touch /sys/x || echo sysfs-refused
                grep -E ' /proc/sys | /sys ' /proc/self/mountinfo
                """));
        c.waitFor(TIMEOUT);

        String out = stdout(c);
        assertThat(out).contains("/proc/keys 0", "/proc/timer_list 0", "firmware 0", "sys-refused", "sysrq-refused", "sysfs-refused");
        if (Files.exists(Path.of("/proc/kcore"))) {
            assertThat(out).contains("/proc/kcore 0");
        }
        assertThat(out.lines().filter(l -> l.contains(" /proc/sys ") || l.contains(" /sys ")))
                .hasSize(2).allSatisfy(l -> assertThat(l).containsPattern(" (/proc/sys|/sys) ro[ ,]"));
    }

    @Test
    void has_docker_default_capabilities_and_no_new_privileges() throws Exception {
        String out = run(spec("grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status"));

        assertThat(out).contains("CapEff:\t" + DOCKER_DEFAULT_CAPS, "CapPrm:\t" + DOCKER_DEFAULT_CAPS,
                "CapBnd:\t" + DOCKER_DEFAULT_CAPS, "CapInh:\t0000000000000000", "CapAmb:\t0000000000000000",
                "NoNewPrivs:\t1");
    }

    @Test
    void runs_as_the_given_user_with_its_groups_and_no_effective_capabilities() throws Exception {
        String out = run(spec("sh", "-c", "id; grep -E '^Cap(Eff|Bnd)' /proc/self/status; echo $HOME").withUser("nobody"));

        assertThat(out).contains("uid=65534(nobody) gid=65534(nogroup) groups=50(staff),65534(nogroup)",
                "CapEff:\t0000000000000000", "CapBnd:\t" + DOCKER_DEFAULT_CAPS, "/nonexistent");
        assertThat(run(spec("id").withUser("1000:50"))).isEqualTo("uid=1000 gid=50(staff) groups=50(staff)");
    }

    @Test
    void an_unknown_user_is_a_clear_error() {
        assertThatThrownBy(() -> ContainerProcess.start(spec("true").withUser("alice")))
                .hasMessage("container it-1: user alice: no such user in the container's /etc/passwd");
    }

    @Test
    void only_stdin_stdout_and_stderr_are_open_in_the_container() throws Exception {
        ContainerProcess c = start(spec("sleep", "60"));

        try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(c.pid()), "fd"))) {
            assertThat(fds.map(p -> p.getFileName().toString()).sorted()).containsExactly("0", "1", "2");
        }
        assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(c.pid()), "fd", "0"))).hasToString("/dev/null");
    }

    @Test
    void a_read_only_root_refuses_writes_but_tmpfs_and_dev_shm_take_them() throws Exception {
        ContainerSpec spec = spec("sh", "-c", "touch /x || echo root-refused; echo a > /scratch/a && echo scratch-ok; "
                + "echo b > /dev/shm/b && echo shm-ok; grep ' /scratch ' /proc/self/mountinfo")
                .withReadOnlyRoot().withTmpfs(List.of(TmpfsMount.at("/scratch").withOptions("size=1m")));

        String out = run(spec);

        assertThat(out).contains("root-refused", "scratch-ok", "shm-ok", "tmpfs");
    }

    @Test
    void runs_in_the_working_dir_with_the_given_environment() throws Exception {
        String out = run(spec("sh", "-c", "pwd; echo $GREETING; echo $HOSTNAME; echo $PATH")
                .withWorkingDir("/srv/app").withEnv(List.of("GREETING=hello world")));

        assertThat(out).isEqualTo("/srv/app\nhello world\nweb\n/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }

    @Test
    void has_its_own_devices() throws Exception {
        String out = run(spec("sh", "-c", "ls /dev; readlink /dev/ptmx; head -c 4 /dev/urandom | wc -c; grep devpts /proc/self/mountinfo"));

        assertThat(out.lines()).contains("null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "pts/ptmx", "4");
        assertThat(out).contains("ptmxmode=666");
    }

    @Test
    void a_detached_container_outlives_its_handle_and_is_found_again_from_its_state_dir() throws Exception {
        ContainerSpec spec = spec("sh", "-c", "echo hello; read line < /dev/stdin; sleep 1; echo bye >&2; exit 7");
        Path state = spec.stateDir();
        long pid = start(spec).pid();
        started.clear(); // drop the handle, as a JVM restart would

        ContainerProcess again = ContainerProcess.attach(state);
        started.add(again);

        assertThat(again.pid()).isEqualTo(pid);
        assertThat(again.spec()).isEqualTo(spec);
        assertThat(again.isRunning()).isTrue();
        assertThat(ProcessHandle.of(again.monitorPid()).flatMap(ProcessHandle::parent).map(ProcessHandle::pid))
                .as("the monitor is not a child of this JVM").isNotEqualTo(java.util.Optional.of(ProcessHandle.current().pid()));
        assertThat(again.waitFor(TIMEOUT)).contains(ExitStatus.exited(7));
        assertThat(ContainerProcess.attach(state).logs()).extracting(LogEntry::stream, LogEntry::text).containsExactly(
                org.assertj.core.groups.Tuple.tuple(LogEntry.Stream.STDOUT, "hello"),
                org.assertj.core.groups.Tuple.tuple(LogEntry.Stream.STDERR, "bye"));
    }

    @Test
    void exec_runs_a_program_in_the_running_containers_namespaces() throws Exception {
        ContainerProcess c = start(spec("sh", "-c", "echo inside > /tmp/marker; exec sleep 60"));
        awaitFile(c, "/tmp/marker");

        String out = sh(c, "hostname; cat /tmp/marker; ls /proc | grep -E '^[0-9]+$' | head -1; echo $$; id -u; grep CapEff /proc/self/status");

        List<String> lines = out.lines().toList();
        assertThat(lines.subList(0, 3)).containsExactly("web", "inside", "1");
        assertThat(lines.get(3)).isNotEqualTo("1"); // a new process in the container's pid namespace
        assertThat(lines.subList(4, 6)).containsExactly("0", "CapEff:\t" + DOCKER_DEFAULT_CAPS);
    }

    @Test
    void exec_reports_an_unknown_program_with_127() throws Exception {
        ContainerProcess c = start(spec("sleep", "60"));

        Process p = c.exec(List.of("no-such-program"));

        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(127);
        assertThat(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8))
                .contains("mg-exec: container it-1: exec no-such-program: not found in PATH");
    }

    @Test
    void cleanup_kills_a_running_container_and_leaves_no_mount_and_no_directory() throws Exception {
        ContainerProcess c = start(spec("sleep", "60"));
        Path state = c.stateDir();
        long pid = c.pid();
        long monitor = c.monitorPid();
        assertThat(state.resolve("upper")).isDirectory();

        c.cleanup();

        assertThat(state).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(tmp.toString());
        assertThat(gone(pid)).as("container init %d gone", pid).isTrue();
        assertThat(gone(monitor)).as("monitor %d gone", monitor).isTrue();
        assertThat(busybox.resolve("bin/busybox")).exists();
    }

    @Test
    void the_container_is_in_its_cgroup_from_its_first_instruction() throws Exception {
        Path hierarchy = Path.of("/sys/fs/cgroup/pids");
        if (!Files.exists(hierarchy.resolve("cgroup.procs"))) {
            hierarchy = Path.of("/sys/fs/cgroup/unified");
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(hierarchy.resolve("cgroup.procs")), "needs a pids or unified cgroup hierarchy");
        Path cgroup = Files.createDirectory(hierarchy.resolve("mg-it-" + UUID.randomUUID()));
        cgroups.add(cgroup);

        String out = run(spec("cat", "/proc/self/cgroup").withCgroupDirs(List.of(cgroup)));

        assertThat(out).contains("/" + cgroup.getFileName());
    }

    @Test
    void prestart_runs_before_the_program_and_a_failing_one_leaves_nothing() throws Exception {
        List<String> seen = new ArrayList<>();
        ContainerProcess c = ContainerProcess.start(spec("true"), pid ->
                seen.add(Files.readString(Path.of("/proc", Long.toString(pid), "cmdline")).split("\0")[0]));
        started.add(c);
        assertThat(seen).singleElement().asString().endsWith("mg-monitor"); // not yet exec'd

        ContainerSpec failing = spec("true");
        assertThatThrownBy(() -> ContainerProcess.start(failing, pid -> {
            throw new IOException("no veth today");
        })).hasMessage("container it-2: prestart failed: no veth today");
        assertThat(failing.stateDir()).doesNotExist();
    }

    @Test
    void the_log_rotates_at_its_limit() throws Exception {
        ContainerSpec spec = spec("sh", "-c", "i=0; while [ $i -lt 300 ]; do echo \"line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"; i=$((i+1)); done")
                .withLogLimit(8192);

        ContainerProcess c = start(spec);
        c.waitFor(TIMEOUT);

        assertThat(Files.size(c.stateDir().resolve("ctr.log"))).isLessThanOrEqualTo(8192);
        assertThat(Files.size(c.stateDir().resolve("ctr.log.1"))).isLessThanOrEqualTo(8192);
        List<String> lines = c.logs().stream().map(LogEntry::text).toList();
        assertThat(lines).last().asString().startsWith("line 299 ");
        assertThat(lines.size()).isLessThan(300);
    }

    @Test
    void refuses_a_state_dir_that_holds_a_container() throws Exception {
        ContainerSpec spec = spec("sleep", "60");
        start(spec);

        assertThatThrownBy(() -> ContainerProcess.start(spec)).hasMessageContaining("already holds a container");
    }

    /** Exited: no longer in /proc, or a zombie (an init that does not reap orphans leaves those behind). */
    private static boolean gone(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
        } catch (IOException e) {
            return true;
        }
    }

    private static void awaitLog(ContainerProcess c, String text) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (c.logs().stream().noneMatch(e -> e.text().equals(text))) {
            assertThat(System.nanoTime()).as("waiting for '%s' in the log", text).isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    private static void awaitFile(ContainerProcess c, String path) throws Exception {
        Path upper = c.stateDir().resolve("upper").resolve(path.substring(1));
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!Files.exists(upper)) {
            assertThat(System.nanoTime()).as("waiting for %s", path).isLessThan(deadline);
            Thread.sleep(10);
        }
    }
}
