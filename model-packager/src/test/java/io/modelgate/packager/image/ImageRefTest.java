package io.modelgate.packager.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The reference grammar of distribution's reference package (reference/regexp.go), minus Docker's normalisation. */
class ImageRefTest {
    private static final String HEX = "b5b2b2c507a0944348e0303114d8d93aaaa081732b86451d9bce1f432a537bc7";
    private static final String DIGEST = "sha256:" + HEX;

    /** text, registry, repository, tag, digest, canonical text. */
    static Stream<Arguments> valid() {
        return Stream.of(
                arguments("iris", null, "iris", "latest", null, "iris:latest"),
                arguments("iris:1", null, "iris", "1", null, "iris:1"),
                arguments("iris:latest", null, "iris", "latest", null, "iris:latest"),
                arguments("team/iris:1.0", null, "team/iris", "1.0", null, "team/iris:1.0"),
                arguments("a/b/c/d", null, "a/b/c/d", "latest", null, "a/b/c/d:latest"),
                arguments("a__b/c-d/e.f_g--h:T_a-g.1", null, "a__b/c-d/e.f_g--h", "T_a-g.1", null, "a__b/c-d/e.f_g--h:T_a-g.1"),
                arguments("localhost/iris", "localhost", "iris", "latest", null, "localhost/iris:latest"),
                arguments("localhost:5000/a/b:tag", "localhost:5000", "a/b", "tag", null, "localhost:5000/a/b:tag"),
                arguments("registry.example.com:443/team/iris:v1", "registry.example.com:443", "team/iris", "v1", null,
                        "registry.example.com:443/team/iris:v1"),
                arguments("example.com/iris", "example.com", "iris", "latest", null, "example.com/iris:latest"),
                arguments("127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", null, "127.0.0.1:5000/x:latest"),
                arguments("[::1]:5000/iris:1", "[::1]:5000", "iris", "1", null, "[::1]:5000/iris:1"),
                arguments("Registry.Example.COM/iris", "Registry.Example.COM", "iris", "latest", null, "Registry.Example.COM/iris:latest"),
                // a first component with an uppercase letter can only be a host name
                arguments("Foo/bar", "Foo", "bar", "latest", null, "Foo/bar:latest"),
                arguments("docker.io/library/x", "docker.io", "library/x", "latest", null, "docker.io/library/x:latest"),
                arguments("iris@" + DIGEST, null, "iris", null, DIGEST, "iris@" + DIGEST),
                arguments("iris:1@" + DIGEST, null, "iris", "1", DIGEST, "iris:1@" + DIGEST),
                arguments("localhost:5000/team/iris@" + DIGEST, "localhost:5000", "team/iris", null, DIGEST,
                        "localhost:5000/team/iris@" + DIGEST),
                arguments("localhost:5000/iris:v2@" + DIGEST, "localhost:5000", "iris", "v2", DIGEST, "localhost:5000/iris:v2@" + DIGEST),
                // without a slash a colon separates the tag, even where it looks like a port
                arguments("localhost:5000", null, "localhost", "5000", null, "localhost:5000"),
                arguments("iris:" + "t".repeat(128), null, "iris", "t".repeat(128), null, "iris:" + "t".repeat(128)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void splits_into_registry_repository_tag_and_digest_when_valid(String text, String registry, String repository,
                                                                 String tag, String digest, String canonical) {
        ImageRef ref = ImageRef.parse(text);

        assertThat(ref.registry()).isEqualTo(registry);
        assertThat(ref.repository()).isEqualTo(repository);
        assertThat(ref.tag()).isEqualTo(tag);
        assertThat(ref.digest()).isEqualTo(digest == null ? null : Digest.parse(digest));
        assertThat(ref.toString()).isEqualTo(canonical);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("valid")
    void parses_its_own_text_back_to_an_equal_reference(String text) {
        ImageRef ref = ImageRef.parse(text);
        assertThat(ImageRef.parse(ref.toString())).isEqualTo(ref);
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @ValueSource(strings = {
            "",
            "   ",
            "Iris",                        // uppercase repository
            "team/Iris:1",
            "iris:",                       // empty tag
            "iris:-1",                     // tag must not start with - or .
            "iris:.1",
            "iris:a/b",
            "iris:tag:other",
            ":tag",                        // no repository
            "/iris",
            "iris/",
            "a//b",
            "a-/b",
            "-a",
            "a..b",
            "a___b",
            "a.-b",
            "localhost:abc/iris",          // a port is digits
            "localhost:5000/",
            "http://registry/iris",
            "iris@",
            "iris@sha256:abc",
            "iris@md5:" + HEX,
            "iris@" + HEX,
            "@" + DIGEST,
            "iris name",
            "iris:t\u00e9",
    })
    void refuses_naming_the_input_when_malformed(String text) {
        assertThatThrownBy(() -> ImageRef.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .satisfies(e -> assertThat(e.getMessage()).contains(text.isBlank() ? "empty" : "'" + text + "'"));
    }

    @Test
    void refuses_a_tag_longer_than_128_characters() {
        assertThatThrownBy(() -> ImageRef.parse("iris:" + "t".repeat(129)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid tag");
    }

    @Test
    void refuses_a_name_longer_than_255_characters() {
        String longest = "a".repeat(200) + "/" + "b".repeat(54);
        assertThat(ImageRef.parse(longest).name()).hasSize(255);

        assertThatThrownBy(() -> ImageRef.parse(longest + "b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("255");
        assertThatThrownBy(() -> ImageRef.parse("registry.example.com/" + "a".repeat(240)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("255");
    }

    @Test
    void means_latest_when_neither_tag_nor_digest_is_given() {
        assertThat(ImageRef.parse("iris")).isEqualTo(ImageRef.parse("iris:latest"));
        assertThat(new ImageRef(null, "iris", null, null).tag()).isEqualTo("latest");
        assertThat(ImageRef.parse("iris@" + DIGEST).tag()).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("registries")
    void talks_to_docker_hub_with_library_prefix_when_no_registry_or_docker_io(String text, String host, String remote) {
        ImageRef ref = ImageRef.parse(text);
        assertThat(ref.registryHost()).isEqualTo(host);
        assertThat(ref.remoteRepository()).isEqualTo(remote);
    }

    static Stream<Arguments> registries() {
        return Stream.of(
                arguments("x", "docker.io", "library/x"),
                arguments("x:1", "docker.io", "library/x"),
                arguments("team/x", "docker.io", "team/x"),
                arguments("docker.io/x", "docker.io", "library/x"),
                arguments("docker.io/library/x", "docker.io", "library/x"),
                arguments("docker.io/team/x", "docker.io", "team/x"),
                arguments("localhost:5000/x", "localhost:5000", "x"),
                arguments("localhost/x", "localhost", "x"),
                arguments("ghcr.io/org/x", "ghcr.io", "org/x"));
    }

    @Test
    void asks_the_registry_for_the_digest_when_both_tag_and_digest_are_given() {
        assertThat(ImageRef.parse("iris:1").reference()).isEqualTo("1");
        assertThat(ImageRef.parse("iris:1@" + DIGEST).reference()).isEqualTo(DIGEST);
    }

    @Test
    void replaces_tag_or_digest_when_asked_for_a_variant() {
        ImageRef ref = ImageRef.parse("localhost:5000/team/iris:1@" + DIGEST);

        assertThat(ref.withTag("2").toString()).isEqualTo("localhost:5000/team/iris:2");
        assertThat(ref.withDigest(Digest.parse(DIGEST)).toString()).isEqualTo("localhost:5000/team/iris@" + DIGEST);
        assertThat(ref.name()).isEqualTo("localhost:5000/team/iris");
    }
}
