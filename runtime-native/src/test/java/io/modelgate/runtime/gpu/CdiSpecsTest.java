package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CdiSpecsTest {
    @TempDir
    Path tmp;

    private static CdiSpecs.Spec parse(String name, String text) {
        return CdiSpecs.parse(Path.of("/etc/cdi/" + name), text);
    }

    @Test
    void reads_the_spec_nvidia_ctk_generates() {
        CdiSpecs.Spec spec = parse("nvidia.yaml", FakeMachine.resource("cdi/nvidia.yaml"));

        assertThat(spec.cdiVersion()).isEqualTo("0.5.0");
        assertThat(spec.kind()).isEqualTo("nvidia.com/gpu");
        assertThat(spec.devices()).extracting(CdiSpecs.Device::name).containsExactly("0", "1",
                "GPU-8d4f3c1e-2b6a-4f0e-9c1d-3e5a7b9c0d21", "GPU-1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10", "0:0", "all");
        assertThat(spec.edits().deviceNodes()).extracting(CdiSpecs.Node::path)
                .containsExactly("/dev/nvidia-modeset", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidiactl");
        assertThat(spec.edits().deviceNodes().get(0)).satisfies(n -> {
            assertThat(n.major()).isEmpty();
            assertThat(n.host()).isEqualTo(Path.of("/dev/nvidia-modeset"));
        });
        assertThat(spec.edits().env()).containsExactly("NVIDIA_VISIBLE_DEVICES=void");
        assertThat(spec.edits().mounts()).hasSize(5).allSatisfy(m -> assertThat(m.readOnly()).isTrue());
        assertThat(spec.edits().hooks()).extracting(h -> h.args().get(1)).containsExactly("create-symlinks", "update-ldcache");
        assertThat(spec.devices().get(0).edits().hooks()).hasSize(2);
    }

    @Test
    void reads_numbers_host_paths_and_permissions_from_json() {
        CdiSpecs.Spec spec = parse("nvidia.json", FakeMachine.resource("cdi/nvidia-local.json"));

        CdiSpecs.Node node = spec.devices().get(0).edits().deviceNodes().get(0);
        assertThat(node).isEqualTo(new CdiSpecs.Node("/dev/nvidia0", Optional.of("@DEV@/nvidia0"), Optional.of('c'),
                Optional.of(195), Optional.of(0), Optional.of("rw")));
    }

    @Test
    void loads_only_specs_of_the_kind_asked_for_later_directories_last() {
        FakeMachine m = new FakeMachine(tmp);
        m.cdiSpec(m.runCdi, "nvidia.yaml").cdiSpec(m.etcCdi, "other-vendor.yaml").cdiSpec(m.etcCdi, "nvidia-local.json");
        FakeMachine.write(m.etcCdi.resolve("README.txt"), "not a spec");

        List<CdiSpecs.Spec> specs = CdiSpecs.load(List.of(m.etcCdi, m.runCdi, tmp.resolve("missing")), "nvidia.com/gpu");

        assertThat(specs).extracting(s -> s.file().getFileName().toString()).containsExactly("nvidia-local.json", "nvidia.yaml");
    }

    @Test
    void names_the_file_and_the_fix_when_a_spec_is_broken() {
        assertThatThrownBy(() -> parse("a.yaml", "cdiVersion: [")).hasMessageContaining("CDI spec /etc/cdi/a.yaml is not valid YAML")
                .hasMessageContaining("nvidia-ctk cdi generate --output=/etc/cdi/a.yaml");
        assertThatThrownBy(() -> parse("a.yaml", "kind: nvidia.com/gpu\ndevices: []\n")).hasMessageContaining("lacks cdiVersion");
        assertThatThrownBy(() -> parse("a.yaml", "cdiVersion: 0.2.0\nkind: nvidia.com/gpu\n")).hasMessageContaining("0.3.0 or later");
        assertThatThrownBy(() -> parse("a.yaml", "cdiVersion: 0.6.0\nkind: gpu\n")).hasMessageContaining("kind 'gpu'");
        assertThatThrownBy(() -> parse("a.yaml", "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n- name: \"0\"\n- name: \"0\"\n"))
                .hasMessageContaining("two devices named '0'");
        assertThatThrownBy(() -> parse("a.yaml", "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ncontainerEdits:\n  env: [NOVALUE]\n"))
                .hasMessageContaining("entries are \"NAME=value\"");
        assertThatThrownBy(() -> parse("a.yaml", "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ncontainerEdits:\n  mounts:\n"
                + "  - {hostPath: none, containerPath: /tmp, type: tmpfs}\n")).hasMessageContaining("bind mounts only");
        assertThatThrownBy(() -> parse("a.yaml", "cdiVersion: 0.6.0\nkind: nvidia.com/gpu\ndevices:\n- name: x\n  containerEdits:\n"
                + "    deviceNodes:\n    - {path: /dev/x, major: -1}\n")).hasMessageContaining("should be a device number");
    }
}
