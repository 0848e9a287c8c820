package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Reading who holds which GPU from the state directory the allocator writes, as another process would. */
class GpuHoldersTest {
    @TempDir
    Path tmp;

    @Test
    void reads_the_container_holding_each_gpu_and_nothing_once_released() {
        GpuAllocator allocator = new GpuAllocator(tmp.resolve("gpus"));
        assertThat(allocator.tryClaim(0, "c-a")).isTrue();
        assertThat(allocator.tryClaim(3, "c-b")).isTrue();

        assertThat(GpuHolders.in(tmp.resolve("gpus")).now()).containsExactly(
                java.util.Map.entry(0, "c-a"), java.util.Map.entry(3, "c-b"));

        allocator.release("c-a");
        assertThat(GpuHolders.in(tmp.resolve("gpus")).now()).containsOnlyKeys(3);
    }

    @Test
    void reads_no_holder_when_no_gpu_was_ever_assigned() {
        assertThat(GpuHolders.in(tmp.resolve("never-made")).now()).isEmpty();
    }
}
