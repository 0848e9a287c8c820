package io.modelgate.runtime.gpu;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class GpuAllocatorTest {
    @TempDir
    Path state;

    @Test
    void gives_a_gpu_to_one_container_only_across_instances_sharing_the_directory() {
        GpuAllocator one = new GpuAllocator(state);
        GpuAllocator other = new GpuAllocator(state);

        assertThat(one.tryClaim(0, "web-1")).isTrue();
        assertThat(other.tryClaim(0, "web-2")).isFalse();
        assertThat(other.tryClaim(1, "web-2")).isTrue();
        assertThat(one.assignments()).isEqualTo(Map.of(0, "web-1", 1, "web-2"));
        assertThat(state.resolve("gpu0")).hasContent("web-1");
    }

    @Test
    void lets_exactly_one_of_many_racing_threads_have_a_gpu() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            for (int round = 0; round < 20; round++) {
                Path dir = state.resolve("round" + round);
                List<Callable<Boolean>> claims = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    String id = "c" + t;
                    GpuAllocator own = new GpuAllocator(dir);
                    claims.add(() -> own.tryClaim(0, id));
                }
                int winners = 0;
                for (Future<Boolean> f : pool.invokeAll(claims)) {
                    winners += f.get() ? 1 : 0;
                }
                assertThat(winners).isEqualTo(1);
                assertThat(new GpuAllocator(dir).assignments()).hasSize(1);
                try (var files = Files.list(dir)) {
                    assertThat(files.map(p -> p.getFileName().toString())).containsExactly("gpu0");
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void releases_what_a_container_holds_and_nothing_else() {
        GpuAllocator a = new GpuAllocator(state);
        a.tryClaim(0, "web-1");
        a.tryClaim(1, "web-2");
        a.tryClaim(2, "web-1");

        assertThat(a.release("web-1")).containsExactly(0, 2);
        assertThat(a.release("nobody")).isEmpty();
        assertThat(a.assignments()).isEqualTo(Map.of(1, "web-2"));
        assertThat(a.tryClaim(0, "web-3")).isTrue();
    }

    @Test
    void frees_gpus_of_containers_that_are_gone_and_temp_files_of_dead_processes() throws Exception {
        GpuAllocator a = new GpuAllocator(state);
        a.tryClaim(0, "web-1");
        a.tryClaim(1, "crashed");
        a.tryClaim(2, "crashed");
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        Path stale = Files.writeString(state.resolve(".claim-" + dead.pid() + "-7"), "half");
        Path mine = Files.writeString(state.resolve(".claim-" + ProcessHandle.current().pid() + "-999999"), "in flight");

        assertThat(a.releaseAllExcept(Set.of("web-1"))).containsExactly("crashed");

        assertThat(a.assignments()).isEqualTo(Map.of(0, "web-1"));
        assertThat(stale).doesNotExist();
        assertThat(mine).exists();
    }

    @Test
    void has_nothing_assigned_before_its_directory_exists() {
        GpuAllocator a = new GpuAllocator(state.resolve("not/yet"));
        assertThat(a.assignments()).isEmpty();
        assertThat(a.releaseAllExcept(Set.of())).isEmpty();
    }
}
