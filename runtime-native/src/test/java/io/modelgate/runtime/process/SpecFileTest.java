package io.modelgate.runtime.process;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpecFileTest {
    private static final Path STATE = Path.of("/run/modelgate/web");

    @Test
    void reads_back_everything_it_wrote() throws Exception {
        ContainerSpec spec = ContainerSpec.of("web", List.of(Path.of("/l/base"), Path.of("/l/top")), STATE,
                        List.of("sh", "-c", "echo 'a b'\nexit 0"))
                .withHostname("web-1")
                .withEnv(List.of("A=1", "B=x=y"))
                .withWorkingDir("/app")
                .withUser("1000:1000")
                .withMounts(List.of(BindMount.readOnly(Path.of("/srv/models"), "/models"), BindMount.readWrite(Path.of("/tmp/x y"), "/x")))
                .withTmpfs(List.of(TmpfsMount.at("/scratch").withOptions("size=1m")))
                .withReadOnlyRoot()
                .withNetwork(NetworkMode.BRIDGE)
                .withCgroupDirs(List.of(Path.of("/sys/fs/cgroup/pids/mg/web")))
                .withLogLimit(65536);

        assertThat(SpecFile.read(SpecFile.write(spec), STATE)).isEqualTo(spec);
    }

    @Test
    void writes_the_records_mg_monitor_reads() {
        ContainerSpec spec = ContainerSpec.of("web", List.of(Path.of("/l/base")), STATE, List.of("true"))
                .withMounts(List.of(BindMount.readOnly(Path.of("/srv"), "/srv")));

        String text = new String(SpecFile.write(spec), StandardCharsets.UTF_8).replace('\0', '|');

        assertThat(text).startsWith("modelgate-spec|1|id|web|")
                .contains("|lower|/l/base|", "|arg|true|", "|bind|/srv|/srv|ro|", "|net|none|")
                .endsWith("|");
    }

    @Test
    void refuses_a_file_that_is_not_a_spec() {
        assertThatThrownBy(() -> SpecFile.read("hello\0".getBytes(StandardCharsets.UTF_8), STATE))
                .hasMessageContaining("is not a version 1 modelgate spec");
        assertThatThrownBy(() -> SpecFile.read("modelgate-spec\u00001\0id".getBytes(StandardCharsets.UTF_8), STATE))
                .hasMessageContaining("truncated");
    }
}
