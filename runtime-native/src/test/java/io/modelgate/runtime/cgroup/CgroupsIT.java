package io.modelgate.runtime.cgroup;

import io.modelgate.runtime.cgroup.CgroupLayout.Version;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real cgroups on this machine's hierarchies (needs root): limits reach the kernel, a process placed in the cgroup
 * is accounted, OOM-killed at the memory limit and stopped at the pids limit, and kill-all and remove leave
 * nothing behind. Containers go under their own parent, {@value #PARENT}, so no run touches modelgate's.
 * Each test starts its shell blocked on {@code read}, moves it into the cgroup, then lets it go, so that all
 * of its work is charged to the cgroup.
 */
class CgroupsIT {
    private static final String PARENT = "modelgate-it";
    private static final long MIB = 1024 * 1024;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private Cgroups cgroups;
    private final List<String> ids = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @BeforeAll
    static void sweepLeftovers() {
        if (isRoot()) {
            Cgroups cgroups = Cgroups.detect(PARENT);
            for (String id : cgroups.list()) { // from a run that was killed before its @AfterEach
                cgroups.killAll(id, TIMEOUT);
                cgroups.remove(id, TIMEOUT);
            }
        }
    }

    @BeforeEach
    void setUp() {
        assumeTrue(isRoot(), "creating cgroups needs root");
        cgroups = Cgroups.detect(PARENT);
    }

    @AfterEach
    void cleanUp() throws InterruptedException {
        List<Throwable> failures = new ArrayList<>();
        for (String id : ids) {
            try {
                cgroups.killAll(id, TIMEOUT);
            } catch (RuntimeException e) {
                failures.add(e);
            }
            try {
                cgroups.remove(id, TIMEOUT);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        for (Process process : processes) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        assertThat(failures).as("cleaning up cgroups %s", ids).isEmpty();
    }

    @AfterAll
    static void removeParent() {
        if (isRoot()) {
            for (Path dir : Cgroups.detect(PARENT).directories("x")) {
                try {
                    Files.deleteIfExists(dir.getParent());
                } catch (IOException e) {
                    // another run's cgroups are still in it: that run removes it
                }
            }
        }
    }

    @Test
    void uses_the_v1_hierarchies_when_this_machine_is_hybrid() {
        CgroupLayout layout = cgroups.layout();
        assumeTrue(layout.version() == Version.HYBRID, "this machine's layout is not hybrid: " + layout.describe());

        assertThat(cgroups).isInstanceOf(CgroupsV1.class);
        assertThat(layout.unifiedControllers()).doesNotContain("memory");
        assertThat(layout.v1Mounts()).containsKeys("memory", "cpu", "cpuacct", "pids", "devices", "freezer");
    }

    @Test
    void kernel_holds_memory_cpu_pids_and_device_limits_when_applied() {
        String id = created();
        Limits limits = Limits.of(64 * MIB, 0.5, 20);

        cgroups.apply(id, limits);

        assertThat(kernel(id, "memory", "memory.limit_in_bytes", "memory.max")).isEqualTo("67108864");
        assertThat(kernel(id, "pids", "pids.max", "pids.max")).isEqualTo("20");
        if (v1()) {
            assertThat(kernel(id, "cpu", "cpu.cfs_quota_us", null)).isEqualTo("50000");
            assertThat(kernel(id, "cpu", "cpu.cfs_period_us", null)).isEqualTo("100000");
            assertThat(kernel(id, "devices", "devices.list", null).lines().toList())
                    .containsExactlyInAnyOrderElementsOf(DeviceRule.CONTAINER_DEFAULTS.stream().map(DeviceRule::toString).toList());
            assertThat(cgroups.limits(id)).isEqualTo(limits);
        } else {
            assertThat(kernel(id, "cpu", null, "cpu.max")).isEqualTo("50000 100000");
            assertThat(cgroups.limits(id)).isEqualTo(limits);
        }
    }

    @Test
    void accounts_and_throttles_a_process_when_it_is_added() throws Exception {
        String id = created();
        cgroups.apply(id, Limits.of(64 * MIB, 0.5, 20));
        Process shell = start("i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done; exec sleep 30");

        cgroups.addProcess(id, shell.pid());
        release(shell);

        assertThat(cgroups.processes(id)).containsExactly(shell.pid());
        assertThat(Files.readString(Path.of("/proc/" + shell.pid() + "/cgroup")))
                .contains(v1() ? ":memory:/" + PARENT + "/" + id + "\n" : "0::/" + PARENT + "/" + id + "\n");
        assertThat(readLine(shell)).isEqualTo("done");
        CgroupStats stats = cgroups.stats(id);
        assertThat(stats.cpuUsageNanos()).isGreaterThan(100_000_000L); // the loop takes ~0.3 s of CPU
        assertThat(stats.memoryUsageBytes()).isPositive();
        assertThat(stats.memoryPeakBytes().orElseThrow()).isGreaterThanOrEqualTo(stats.memoryUsageBytes());
        assertThat(stats.pidsCurrent()).isEqualTo(1); // the shell, or the sleep it became
        assertThat(stats.oomKills()).isZero();
        // 0.3 s of CPU at 0.5 CPUs spans several 100 ms periods, each cut short at 50 ms
        assertThat(CgroupStats.counter(kernel(id, "cpu", "cpu.stat", "cpu.stat"), "nr_throttled", "cpu.stat")).isPositive();
    }

    @Test
    void reports_an_oom_kill_when_a_process_allocates_past_the_memory_limit() throws Exception {
        String id = created();
        cgroups.apply(id, Limits.of(64 * MIB, 1, 20));
        Process shell = start("x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived");

        cgroups.addProcess(id, shell.pid());
        release(shell);

        assertThat(shell.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(shell.exitValue()).as("exit status of a shell killed by SIGKILL").isEqualTo(128 + 9);
        assertThat(cgroups.oomKills(id)).isGreaterThanOrEqualTo(1);
        CgroupStats stats = cgroups.stats(id);
        assertThat(stats.oomKills()).isGreaterThanOrEqualTo(1);
        assertThat(stats.memoryLimitHits()).isPositive();
        assertThat(stats.memoryPeakBytes().orElseThrow()).isLessThanOrEqualTo(64 * MIB);
    }

    @Test
    void stops_a_fork_bomb_at_the_pids_limit() throws Exception {
        String id = created();
        cgroups.apply(id, Limits.of(64 * MIB, 1, 20));
        Process shell = start("for i in $(seq 100); do sleep 5 & done; wait");

        cgroups.addProcess(id, shell.pid());
        release(shell);

        // pids.current is the kernel's own count of every task in the cgroup at one instant (threads and exiting
        // processes included). processes() is not such a snapshot: on v1 it joins cgroup.procs of several
        // hierarchies read one after another, so a sleep that ended after the first read and one forked before the
        // last are both in it, one more than ever ran at once.
        long most = 0;
        long until = System.nanoTime() + Duration.ofMillis(1500).toNanos();
        while (System.nanoTime() < until) {
            most = Math.max(most, cgroups.stats(id).pidsCurrent());
            Thread.sleep(5);
        }
        assertThat(most).isLessThanOrEqualTo(20);
        assertThat(cgroups.stats(id).pidsLimitHits()).as("forks refused at pids.max").isPositive();
        assertThat(shell.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(shell.exitValue()).as("dash gives up when fork fails").isNotZero();
        assertThat(cgroups.processes(id)).as("the sleeps it did start").isNotEmpty().hasSizeLessThan(20);
    }

    @Test
    void leaves_no_process_after_kill_all_and_no_directory_after_remove() throws Exception {
        String id = created();
        cgroups.apply(id, Limits.of(64 * MIB, 1, 20));
        Process shell = start("for i in 1 2 3 4 5; do sleep 30 & done; wait");
        cgroups.addProcess(id, shell.pid());
        release(shell);
        assertThat(await(() -> cgroups.processes(id).size() == 6)).as("shell and five sleeps").isTrue();
        List<Long> pids = cgroups.processes(id);

        cgroups.killAll(id, TIMEOUT);

        assertThat(cgroups.processes(id)).isEmpty();
        assertThat(pids).noneMatch(CgroupsIT::running);
        // pids.current still counts the sleeps until their new parent reaps them, which a PID 1 that is not a real init
        // never does; cgroup.procs and rmdir ignore such zombies
        assertThat(shell.waitFor(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        assertThat(shell.exitValue()).isEqualTo(128 + 9);
        List<Path> dirs = cgroups.directories(id);
        assertThat(dirs).allMatch(Files::isDirectory);

        cgroups.remove(id, TIMEOUT);

        assertThat(dirs).noneMatch(Files::exists);
        assertThat(cgroups.list()).doesNotContain(id);
    }

    @Test
    void refuses_naming_the_value_and_the_usage_when_a_memory_limit_is_below_what_the_cgroup_holds() throws Exception {
        assumeTrue(v1(), "cgroup v2's memory.max takes any value: the kernel reclaims, then OOM-kills");
        String id = created();
        cgroups.apply(id, Limits.of(64 * MIB, 1, 20));
        Process shell = start("x=$(head -c 20000000 /dev/zero | tr '\\0' a); echo ready; sleep 30");
        cgroups.addProcess(id, shell.pid());
        release(shell);
        assertThat(readLine(shell)).isEqualTo("ready"); // ~20 MB of anonymous memory, and no swap to push it to

        assertThatThrownBy(() -> cgroups.apply(id, Limits.of(8 * MIB, 1, 20)))
                .isInstanceOf(CgroupException.class)
                .hasMessageStartingWith("memory limit 8388608 bytes is below what the kernel accepts for cgroup "
                        + PARENT + "/" + id + ": the minimum now is its current usage of ")
                .hasMessageContaining("memory.limit_in_bytes: Device or resource busy");
        assertThat(kernel(id, "memory", "memory.limit_in_bytes", null)).isEqualTo("67108864");
    }

    @Test
    void lists_the_cgroups_it_created_and_refuses_to_create_one_twice() {
        String first = created();
        String second = created();

        assertThat(cgroups.list()).contains(first, second);
        assertThatThrownBy(() -> cgroups.create(first)).isInstanceOf(CgroupException.class).hasMessageContaining("already exists");

        cgroups.remove(first, TIMEOUT);

        assertThat(cgroups.list()).doesNotContain(first).contains(second);
    }

    private String created() {
        String id = "it-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet();
        cgroups.create(id);
        ids.add(id);
        return id;
    }

    /** A shell that waits for a line on stdin before it runs {@code script}. */
    private Process start(String script) throws IOException {
        Process process = new ProcessBuilder("/bin/sh", "-c", "read go; " + script)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .start();
        processes.add(process);
        return process;
    }

    private static void release(Process process) throws IOException {
        OutputStream stdin = process.getOutputStream();
        stdin.write('\n');
        stdin.flush();
    }

    private static String readLine(Process process) throws IOException {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }

    /** A control file as the kernel shows it, by its v1 or its v2 name; null names a file the version lacks. */
    private String kernel(String id, String v1Controller, String v1File, String v2File) {
        Path file = v1()
                ? cgroups.layout().v1Mounts().get(v1Controller).resolve(PARENT).resolve(id).resolve(v1File)
                : cgroups.directories(id).get(0).resolve(v2File);
        try {
            return Files.readString(file).trim();
        } catch (IOException e) {
            throw new AssertionError("cannot read " + file, e);
        }
    }

    private boolean v1() {
        return cgroups.layout().version() != Version.V2;
    }

    /** Alive and not a zombie waiting for its new parent (init) to reap it. */
    private static boolean running(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean await(BooleanSupplier condition) throws InterruptedException {
        long until = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < until) {
            if (condition.getAsBoolean()) {
                return true;
            }
            Thread.sleep(10);
        }
        return false;
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }
}
