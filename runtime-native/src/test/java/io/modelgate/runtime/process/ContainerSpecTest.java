package io.modelgate.runtime.process;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ContainerSpecTest {
    private static final List<Path> LOWER = List.of(Path.of("/var/lib/modelgate/snapshots/1"));
    private static final Path STATE = Path.of("/run/modelgate/web");

    @Test
    void of_gives_root_in_slash_with_its_own_network_and_the_id_as_hostname() {
        ContainerSpec spec = ContainerSpec.of("web", LOWER, STATE, List.of("sh"));

        assertThat(spec.hostname()).isEqualTo("web");
        assertThat(spec.workingDir()).isEqualTo("/");
        assertThat(spec.user()).isEmpty();
        assertThat(spec.network()).isEqualTo(NetworkMode.NONE);
        assertThat(spec.readOnlyRoot()).isFalse();
        assertThat(spec.logLimitBytes()).isEqualTo(ContainerSpec.DEFAULT_LOG_LIMIT);
    }

    @Test
    void withers_change_one_thing_and_keep_the_rest() {
        ContainerSpec spec = ContainerSpec.of("web", LOWER, STATE, List.of("sh"))
                .withUser("nobody:nogroup").withReadOnlyRoot().withNetwork(NetworkMode.HOST);

        assertThat(spec.user()).isEqualTo("nobody:nogroup");
        assertThat(spec.readOnlyRoot()).isTrue();
        assertThat(spec.network()).isEqualTo(NetworkMode.HOST);
        assertThat(spec.argv()).containsExactly("sh");
    }

    @Test
    void rejects_an_id_that_is_not_a_plain_name() {
        assertThatThrownBy(() -> ContainerSpec.of("../web", LOWER, STATE, List.of("sh")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("container id '../web'");
    }

    @Test
    void rejects_lower_dirs_that_overlayfs_cannot_take() {
        assertThatThrownBy(() -> ContainerSpec.of("web", List.of(Path.of("/layers/a:b")), STATE, List.of("sh")))
                .hasMessageContaining("lower dir /layers/a:b contains ':'");
        assertThatThrownBy(() -> ContainerSpec.of("web", List.of(Path.of("/layers/a,b")), STATE, List.of("sh")))
                .hasMessageContaining("contains ','");
        assertThatThrownBy(() -> ContainerSpec.of("web", List.of(Path.of("layers/a")), STATE, List.of("sh")))
                .hasMessageContaining("must be an absolute path");
        assertThatThrownBy(() -> ContainerSpec.of("web", List.of(), STATE, List.of("sh")))
                .hasMessageContaining("needs at least one lower dir");
    }

    @Test
    void rejects_empty_argv_and_env_without_a_key() {
        assertThatThrownBy(() -> ContainerSpec.of("web", LOWER, STATE, List.of()))
                .hasMessageContaining("nothing to run");
        assertThatThrownBy(() -> ContainerSpec.of("web", LOWER, STATE, List.of("sh")).withEnv(List.of("=x")))
                .hasMessageContaining("must be KEY=VALUE");
    }

    @Test
    void rejects_relative_container_paths_and_mounting_over_the_root() {
        assertThatThrownBy(() -> ContainerSpec.of("web", LOWER, STATE, List.of("sh")).withWorkingDir("app"))
                .hasMessageContaining("working dir app must be an absolute path");
        assertThatThrownBy(() -> BindMount.readOnly(Path.of("/srv"), "data"))
                .hasMessageContaining("bind mount target data");
        assertThatThrownBy(() -> BindMount.readOnly(Path.of("/srv"), "/"))
                .hasMessageContaining("would replace the container's root");
        assertThatThrownBy(() -> BindMount.readOnly(Path.of("srv"), "/srv"))
                .hasMessageContaining("bind mount source srv must be an absolute path");
    }

    @Test
    void rejects_a_log_limit_below_the_minimum() {
        assertThatThrownBy(() -> ContainerSpec.of("web", LOWER, STATE, List.of("sh")).withLogLimit(100))
                .hasMessageContaining("below the minimum");
    }

    @Test
    void exit_status_is_the_code_or_128_plus_the_signal() {
        assertThat(ExitStatus.killedBy(9)).isEqualTo(new ExitStatus(137, 9));
        assertThat(ExitStatus.killedBy(9).killedBySignal()).isTrue();
        assertThat(ExitStatus.exited(3).killedBySignal()).isFalse();
        assertThatThrownBy(() -> new ExitStatus(1, 9)).hasMessageContaining("does not match");
    }
}
