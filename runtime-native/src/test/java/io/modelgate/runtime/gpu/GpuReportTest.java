package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GpuReportTest {
    @Test
    void reads_its_roots_from_the_command_line() {
        GpuConfig c = GpuReport.config(new String[]{"--dev-root", "/fake/dev", "--cdi-dir", "/a", "--cdi-dir", "/b", "--home", "/h"});

        assertThat(c.devRoot()).isEqualTo(Path.of("/fake/dev"));
        assertThat(c.cdiDirs()).containsExactly(Path.of("/a"), Path.of("/b"));
        assertThat(c.stateDir()).isEqualTo(Path.of("/h/gpus"));
        assertThat(c.procRoot()).isEqualTo(Path.of("/proc"));
        assertThat(List.of("x86-64", "AArch64", "64bit")).contains(c.arch());
        assertThatThrownBy(() -> GpuReport.config(new String[]{"--bogus", "x"})).hasMessageContaining("unknown option --bogus");
    }
}
