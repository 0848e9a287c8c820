package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Exclusive assignment through the facade, on a fake machine with two GPUs; two instances stand for two processes. */
class NvidiaGpusTest {
    @TempDir
    Path tmp;
    FakeMachine machine;
    Gpus gpus;

    @BeforeEach
    void setUp() {
        machine = FakeMachine.withTwoGpus(tmp);
        gpus = Gpus.detect(machine.config());
    }

    @Test
    void gives_each_gpu_to_one_container_at_a_time() {
        GpuGrant first = gpus.grant("web-1", GpuRequest.count(1));
        GpuGrant second = Gpus.detect(machine.config()).grant("web-2", GpuRequest.count(1));

        assertThat(first.gpus()).extracting(Gpu::index).containsExactly(0);
        assertThat(second.gpus()).extracting(Gpu::index).containsExactly(1);
        assertThat(second.env()).containsEntry("NVIDIA_VISIBLE_DEVICES", "1").containsEntry("CUDA_VISIBLE_DEVICES", "0");
        assertThat(gpus.assignments()).isEqualTo(Map.of(0, "web-1", 1, "web-2"));
    }

    @Test
    void says_who_holds_the_gpus_when_too_few_are_free() {
        gpus.grant("web-1", GpuRequest.devices("0"));
        Gpus otherProcess = Gpus.detect(machine.config());

        assertThatThrownBy(() -> otherProcess.grant("train-1", GpuRequest.count(2)))
                .isInstanceOf(GpuUnavailableException.class)
                .hasMessage("container 'train-1' needs 2 GPUs, 1 free of 2 (GPU 0 is used by container web-1)");
        assertThatThrownBy(() -> otherProcess.grant("train-1", GpuRequest.all()))
                .hasMessage("container 'train-1' needs all 2 GPUs, 1 free of 2 (GPU 0 is used by container web-1)");
        assertThatThrownBy(() -> otherProcess.grant("train-1", GpuRequest.parse("1,GPU-8d4f3c1e-2b6a-4f0e-9c1d-3e5a7b9c0d21")))
                .hasMessage("container 'train-1' needs GPUs 1, GPU-8d4f3c1e-2b6a-4f0e-9c1d-3e5a7b9c0d21, 1 free of 2 "
                        + "(GPU 0 is used by container web-1)");
        assertThat(gpus.assignments()).as("a refused request keeps nothing").isEqualTo(Map.of(0, "web-1"));
        assertThatThrownBy(() -> otherProcess.grant("train-1", GpuRequest.count(3)))
                .hasMessageContaining("needs 3 GPUs, but this machine has 2 (GPU 0 GPU-8d4f3c1e-2b6a-4f0e-9c1d-3e5a7b9c0d21, GPU 1 ");
    }

    @Test
    void finds_gpus_by_index_or_uuid_and_refuses_unknown_ones() {
        GpuGrant grant = gpus.grant("web-1", GpuRequest.parse("GPU-1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a10"));

        assertThat(grant.gpus()).extracting(Gpu::index).containsExactly(1);
        assertThat(grant.devices()).extracting(DeviceNode::path).contains("/dev/nvidia1").doesNotContain("/dev/nvidia0");
        assertThatThrownBy(() -> gpus.grant("web-2", GpuRequest.devices("7")))
                .hasMessageStartingWith("container 'web-2' asked for GPU 7, which this machine does not have (it has GPU 0 GPU-8d4f");
        assertThatThrownBy(() -> gpus.grant("web-1", GpuRequest.devices("0")))
                .hasMessage("container 'web-1' already holds GPU 1; release it before asking again");
    }

    @Test
    void gives_all_gpus_renumbered_for_cuda_and_by_host_index_for_nvidia() {
        GpuGrant grant = gpus.grant("train-1", GpuRequest.all());

        assertThat(grant.gpus()).extracting(Gpu::index).containsExactly(0, 1);
        assertThat(grant.env()).containsEntry("NVIDIA_VISIBLE_DEVICES", "0,1").containsEntry("CUDA_VISIBLE_DEVICES", "0,1");
        assertThat(grant.deviceCgroupRules()).containsExactly("c 195:0 rwm", "c 195:1 rwm", "c 195:255 rwm", "c 508:0 rwm");
        assertThat(grant.hooksNotRun()).isEmpty();
    }

    @Test
    void gives_nothing_for_zero_gpus() {
        assertThat(gpus.grant("web-1", GpuRequest.count(0))).isEqualTo(GpuGrant.none("web-1"));
        assertThat(gpus.assignments()).isEmpty();
    }

    @Test
    void lets_racing_threads_share_out_the_gpus_without_overlap() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Callable<GpuGrant>> asks = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String id = "c" + t;
                Gpus own = Gpus.detect(machine.config());
                asks.add(() -> own.grant(id, GpuRequest.count(1)));
            }
            List<Integer> given = new ArrayList<>();
            int refused = 0;
            for (Future<GpuGrant> f : pool.invokeAll(asks)) {
                try {
                    given.addAll(f.get().gpus().stream().map(Gpu::index).toList());
                } catch (ExecutionException e) {
                    assertThat(e.getCause()).isInstanceOf(GpuUnavailableException.class).hasMessageContaining("needs 1 GPU, ");
                    refused++;
                }
            }
            assertThat(given).containsExactlyInAnyOrder(0, 1);
            assertThat(refused).isEqualTo(6);
            assertThat(gpus.assignments()).hasSize(2);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void frees_gpus_on_release_and_after_a_crash() {
        gpus.grant("web-1", GpuRequest.count(1));
        gpus.grant("crashed", GpuRequest.count(1));

        assertThat(gpus.release("web-1")).containsExactly(0);
        assertThat(gpus.grant("web-2", GpuRequest.count(1)).gpus()).extracting(Gpu::index).containsExactly(0);
        assertThat(Gpus.detect(machine.config()).releaseAllExcept(Set.of("web-2"))).containsExactly("crashed");
        assertThat(gpus.assignments()).isEqualTo(Map.of(0, "web-2"));
    }

    @Test
    void describes_what_it_found_and_what_a_container_gets() {
        gpus.grant("web-1", GpuRequest.devices("1"));

        assertThat(gpus.describe()).startsWith("NVIDIA GPUs from device nodes under " + machine.dev)
                .contains("GPU 1: /dev/nvidia1 (c 195:1, from " + machine.dev.resolve("nvidia1") + ")")
                .contains("held by container web-1").contains("driver: 550.54.15")
                .contains("devices.allow c 195:255 rwm").contains("mount " + machine.bin.resolve("nvidia-smi") + " -> /usr/bin/nvidia-smi (ro)")
                .contains("env CUDA_VISIBLE_DEVICES=0,1");
    }
}
