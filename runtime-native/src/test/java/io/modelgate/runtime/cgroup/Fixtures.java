package io.modelgate.runtime.cgroup;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Captured text under src/test/resources/cgroup/. {@code hybrid/} and {@code stats/v1-*} (except the pre-4.13
 * sample) were captured on a modelgate development machine (Linux 6.18, hybrid layout); {@code v2/}, {@code v1/},
 * {@code hybrid-systemd/} and {@code stats/v2-*} are samples of the formats proc(5) and the kernel's cgroup
 * documentation give, as typical systemd hosts show them, not captured here.
 */
final class Fixtures {
    private Fixtures() {
    }

    static String text(String path) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/cgroup/" + path)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture cgroup/" + path);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The layout a captured sample describes: mountinfo, /proc/self/cgroup and the cgroup2 root's controllers. */
    static CgroupLayout layout(String sample) {
        String controllers = sample.equals("v1") ? "" : text(sample + "/cgroup.controllers");
        return CgroupLayout.parse(text(sample + "/mountinfo"), text(sample + "/cgroup"), controllers);
    }
}
