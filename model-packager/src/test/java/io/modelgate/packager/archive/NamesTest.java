package io.modelgate.packager.archive;

import io.modelgate.packager.image.ImageRef;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

class NamesTest {
    @Test
    void qualified_names_are_written_as_docker_normalises_them() {
        assertThat(Names.qualified(ImageRef.parse("iris:1"))).isEqualTo("docker.io/library/iris:1");
        assertThat(Names.qualified(ImageRef.parse("team/iris"))).isEqualTo("docker.io/team/iris:latest");
        assertThat(Names.qualified(ImageRef.parse("localhost:5000/iris:2"))).isEqualTo("localhost:5000/iris:2");
    }

    @Test
    void familiar_names_drop_docker_hub_and_library() {
        assertThat(Names.familiar(ImageRef.parse("docker.io/library/iris:1"))).hasToString("iris:1");
        assertThat(Names.familiar(ImageRef.parse("docker.io/team/iris:1"))).hasToString("team/iris:1");
        assertThat(Names.familiar(ImageRef.parse("localhost:5000/library/iris:1"))).hasToString("localhost:5000/library/iris:1");
    }

    @Test
    void annotations_name_an_image_only_with_a_repository() {
        assertThat(Names.fromAnnotations(Map.of("io.containerd.image.name", "docker.io/library/iris:1",
                "org.opencontainers.image.ref.name", "1"))).contains(ImageRef.parse("iris:1"));
        assertThat(Names.fromAnnotations(Map.of("org.opencontainers.image.ref.name", "iris:1"))).contains(ImageRef.parse("iris:1"));
        assertThat(Names.fromAnnotations(Map.of("org.opencontainers.image.ref.name", "1"))).isEqualTo(Optional.empty());
        assertThat(Names.fromAnnotations(Map.of())).isEmpty();
    }
}
