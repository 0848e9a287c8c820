package io.modelgate.packager.image;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageIndexTest {
    static final Digest AMD = Digest.sha256("amd64".getBytes(StandardCharsets.UTF_8));
    static final Digest ARM = Digest.sha256("arm64".getBytes(StandardCharsets.UTF_8));

    static ImageIndex multiArch() {
        return ImageIndex.of(List.of(
                new Descriptor(MediaTypes.OCI_MANIFEST, AMD, 10, Map.of(), new Descriptor.Platform("amd64", "linux", null)),
                new Descriptor(MediaTypes.OCI_MANIFEST, ARM, 11, Map.of(), new Descriptor.Platform("arm64", "linux", "v8"))));
    }

    @Test
    void picks_the_manifest_for_the_wanted_platform() {
        assertThat(multiArch().forPlatform(new Descriptor.Platform("arm64", "linux", null)).digest()).isEqualTo(ARM);
        assertThat(multiArch().forPlatform(new Descriptor.Platform("amd64", "linux", null)).digest()).isEqualTo(AMD);
    }

    @Test
    void names_the_platforms_it_has_when_the_wanted_one_is_missing() {
        assertThatThrownBy(() -> multiArch().forPlatform(new Descriptor.Platform("s390x", "linux", null)))
                .isInstanceOf(ImageFormatException.class)
                .hasMessageContaining("linux/s390x").hasMessageContaining("linux/amd64").hasMessageContaining("linux/arm64");
    }

    @Test
    void writes_an_empty_manifests_array_and_reads_it_back() {
        ImageIndex empty = ImageIndex.of(List.of());

        assertThat(Json.utf8(Json.write(empty))).isEqualTo("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[]}");
        assertThat(ImageIndex.parse(Json.write(multiArch()))).isEqualTo(multiArch());
    }

    @Test
    void refuses_an_index_of_another_schema_version() {
        assertThatThrownBy(() -> ImageIndex.parse("{\"schemaVersion\":1,\"manifests\":[]}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("schemaVersion");
    }

    @Test
    void maps_jvm_architecture_names_to_goarch() {
        assertThat(Descriptor.Platform.host().os()).isEqualTo("linux");
        assertThat(Descriptor.Platform.host().architecture()).isIn("amd64", "arm64", "ppc64le", "s390x", "riscv64", System.getProperty("os.arch"));
    }
}
