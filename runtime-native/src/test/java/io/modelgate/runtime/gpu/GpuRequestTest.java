package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class GpuRequestTest {
    @Test
    void reads_gpus_values_as_docker_does() {
        assertThat(GpuRequest.parse("all")).isEqualTo(GpuRequest.all());
        assertThat(GpuRequest.parse("2")).isEqualTo(GpuRequest.count(2));
        assertThat(GpuRequest.parse("1")).as("a lone number is a count").isEqualTo(GpuRequest.count(1));
        assertThat(GpuRequest.parse("0,1")).isEqualTo(GpuRequest.devices("0", "1"));
        assertThat(GpuRequest.parse("device=1")).isEqualTo(GpuRequest.devices("1"));
        assertThat(GpuRequest.parse("\"device=0, GPU-8d4f3c1e\"")).isEqualTo(GpuRequest.devices("0", "GPU-8d4f3c1e"));
        assertThat(GpuRequest.parse("GPU-8d4f3c1e-2b6a")).isEqualTo(GpuRequest.devices("GPU-8d4f3c1e-2b6a"));
    }

    @Test
    void says_what_it_asks_for_in_words() {
        assertThat(GpuRequest.all().describe()).isEqualTo("all GPUs");
        assertThat(GpuRequest.count(1).describe()).isEqualTo("1 GPU");
        assertThat(GpuRequest.count(2).describe()).isEqualTo("2 GPUs");
        assertThat(GpuRequest.devices("0").describe()).isEqualTo("GPU 0");
        assertThat(GpuRequest.devices("0", "1", "0").describe()).isEqualTo("GPUs 0, 1");
        assertThat(((GpuRequest.Devices) GpuRequest.devices("1", "1")).ids()).isEqualTo(List.of("1"));
    }

    @Test
    void names_the_problem_when_a_value_is_malformed() {
        assertThatThrownBy(() -> GpuRequest.parse(" ")).hasMessageContaining("--gpus needs all, a count");
        assertThatThrownBy(() -> GpuRequest.parse("0,,1")).hasMessageContaining("empty entry");
        assertThatThrownBy(() -> GpuRequest.parse("device=")).hasMessageContaining("empty entry");
        assertThatThrownBy(() -> GpuRequest.parse("0,../x")).hasMessageContaining("'../x' is neither a GPU index");
        assertThatThrownBy(() -> GpuRequest.parse("99999999999")).hasMessageContaining("not a sensible GPU count");
        assertThatThrownBy(() -> GpuRequest.count(-1)).hasMessageContaining("cannot be negative");
    }
}
