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
