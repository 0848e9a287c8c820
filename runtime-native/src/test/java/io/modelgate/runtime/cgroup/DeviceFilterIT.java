package io.modelgate.runtime.cgroup;

import io.modelgate.packager.testing.ExternalTools;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cgroup v2 device allow-list on the real kernel (needs root and a cgroup2 mount, which the hybrid layout has
 * too): a shell moved into a cgroup with the eBPF program attached may use exactly the devices the rules name, and
 * attaching new rules replaces the old ones rather than adding to them.
 */
class DeviceFilterIT {
    private static final String TRY = "cat /dev/null && echo null-ok; head -c 1 /dev/zero >/dev/null && echo zero-read-ok; "
            + "echo x >/dev/zero && echo zero-write-ok; true";

    Path cgroup;

    @BeforeEach
    void setUp() throws IOException {
        ExternalTools.requireRoot();
        Path unified = CgroupLayout.detect().unifiedMount().orElse(null);
        Assumptions.assumeTrue(unified != null, "no cgroup2 mount on this host (pure cgroup v1): nothing to attach to");
        cgroup = Files.createDirectory(unified.resolve(System.getProperty("modelgate.cgroupParent", "modelgate")
                + "-devices-" + ProcessHandle.current().pid()));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (cgroup != null) {
            Files.deleteIfExists(cgroup);
        }
    }

    @Test
    void lets_a_process_in_the_cgroup_use_only_the_devices_and_access_its_rules_allow() throws Exception {
        DeviceFilter.EBPF.attach(cgroup, List.of(DeviceRule.parse("c 1:3 rwm")));

        String out = runInCgroup(TRY);

        assertThat(out).contains("null-ok").doesNotContain("zero-read-ok").doesNotContain("zero-write-ok")
                .containsIgnoringCase("not permitted");
    }

    @Test
    void replaces_the_rules_attached_before() throws Exception {
        DeviceFilter.EBPF.attach(cgroup, List.of(DeviceRule.parse("c 1:3 rwm")));
        DeviceFilter.EBPF.attach(cgroup, List.of(DeviceRule.parse("c 1:3 rwm"), DeviceRule.parse("c 1:5 r")));

        String out = runInCgroup(TRY);

        assertThat(out).as("with both programs attached /dev/zero would stay closed").contains("null-ok", "zero-read-ok")
                .doesNotContain("zero-write-ok");
        assertThat(DeviceFilter.Bpf.programs(cgroup)).isEqualTo(1);
    }

    @Test
    void lifts_the_restriction_when_cleared() throws Exception {
        DeviceFilter.EBPF.attach(cgroup, List.of(DeviceRule.parse("c 1:3 rwm")));
        DeviceFilter.EBPF.clear(cgroup);

        assertThat(runInCgroup(TRY)).contains("null-ok", "zero-read-ok", "zero-write-ok");
        assertThat(DeviceFilter.Bpf.programs(cgroup)).isZero();
    }

    @Test
    void refuses_mknod_and_the_use_of_a_node_it_made_unless_a_rule_allows_it() throws Exception {
        DeviceFilter.EBPF.attach(cgroup, List.of(DeviceRule.parse("c 1:3 rwm"), DeviceRule.parse("b 7:* m")));
        Path nodes = Files.createTempDirectory("devices-it");
        try {
            // /dev/null's number made anew (a char node without m: refused); a loop device's (b 7:*, mknod only)
            // may be made but not read
            String out = runInCgroup("mknod " + nodes + "/null c 1:3 || echo null-mknod-refused; "
                    + "mknod " + nodes + "/loop b 7 0 && echo loop-made; head -c 1 " + nodes + "/loop >/dev/null "
                    + "|| echo loop-read-refused");
            assertThat(out).contains("null-mknod-refused", "loop-made", "loop-read-refused");
        } finally {
            try (var left = Files.list(nodes)) {
                for (Path p : left.toList()) {
                    Files.delete(p);
                }
            }
            Files.delete(nodes);
        }
    }

    @Test
    void loads_a_list_of_the_largest_size_a_container_may_have() throws Exception {
        List<DeviceRule> many = new java.util.ArrayList<>(List.of(DeviceRule.parse("c 1:3 rwm")));
        for (int minor = 0; many.size() < DeviceProgram.MAX_RULES; minor++) {
            many.add(DeviceRule.charDevice(195, minor, "rw"));
        }
        DeviceFilter.EBPF.attach(cgroup, many);

        assertThat(runInCgroup(TRY)).contains("null-ok").doesNotContain("zero-read-ok");
    }

    @Test
    void leaves_one_program_when_several_threads_set_lists_at_once() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
            for (int i = 0; i < 40; i++) {
                List<DeviceRule> rules = List.of(DeviceRule.parse("c 1:3 rwm"), DeviceRule.charDevice(1, 5, i % 2 == 0 ? "r" : "w"));
                done.add(pool.submit(() -> DeviceFilter.EBPF.attach(cgroup, rules)));
            }
            for (var f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(DeviceFilter.Bpf.programs(cgroup)).isEqualTo(1);
    }

    /** Runs {@code script} in a shell that first moves itself into the test's cgroup; its output and errors. */
    private String runInCgroup(String script) throws Exception {
        Process p = new ProcessBuilder("sh", "-c", "echo $$ > " + cgroup.resolve("cgroup.procs") + " && exec sh -c '"
                + script + "'").redirectErrorStream(true).start();
        p.getOutputStream().close();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
}
