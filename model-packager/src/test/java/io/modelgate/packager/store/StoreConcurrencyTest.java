package io.modelgate.packager.store;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class StoreConcurrencyTest {
    @TempDir
    Path home;
    ImageStore store;
    StoredImage image;
    final List<Process> processes = new ArrayList<>();
    final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void storeOneImage() throws IOException {
        store = ImageStore.open(home);
        image = TestImages.put(store, "base:1", "layer");
    }

    @AfterEach
    void stopEverything() throws InterruptedException {
        pool.shutdownNow();
        for (Process p : processes) {
            p.destroyForcibly();
        }
        pool.awaitTermination(10, TimeUnit.SECONDS);
    }

    @Test
    void ends_with_exactly_the_expected_tags_when_threads_tag_and_untag_at_once() throws Exception {
        int threads = 8;
        int ops = 50;
        // two store objects on one home, as two components of one JVM would have
        ImageStore other = ImageStore.open(home);
        CountDownLatch start = new CountDownLatch(1);
        AtomicBoolean writing = new AtomicBoolean(true);
        ConcurrentLinkedQueue<Throwable> readerErrors = new ConcurrentLinkedQueue<>();
        Future<?> reader = pool.submit(() -> {
            while (writing.get()) {
                try {
                    ImageIndex.parse(Files.readAllBytes(home.resolve("images/index.json")));
                    store.list();
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable t) {
                    readerErrors.add(t);
                }
            }
        });
        List<Future<?>> writers = new ArrayList<>();
        Set<String> expected = new TreeSet<>(Set.of("base:1"));
        for (int t = 0; t < threads; t++) {
            ImageStore mine = t % 2 == 0 ? store : other;
            String prefix = "t" + t;
            for (int j = 0; j < ops; j++) {
                if (j % 3 != 2) {
                    expected.add(prefix + ":" + j);
                }
            }
            writers.add(pool.submit(() -> {
                start.await();
                for (int j = 0; j < ops; j++) {
                    mine.tag(ImageRef.parse(prefix + ":" + j), image.manifestDescriptor());
                    if (j % 3 == 2) {
                        assertThat(mine.untag(ImageRef.parse(prefix + ":" + j))).isTrue();
                    }
                }
                return null;
            }));
        }

        start.countDown();
        for (Future<?> w : writers) {
            w.get(60, TimeUnit.SECONDS);
        }
        writing.set(false);
        reader.get(10, TimeUnit.SECONDS);

        assertThat(readerErrors).isEmpty();
        assertThat(ImageStore.open(home).list()).extracting(t -> t.ref().toString()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(ImageIndex.parse(Files.readAllBytes(home.resolve("images/index.json"))).manifests()).hasSize(expected.size());
        assertThat(Files.list(home.resolve("images")).map(p -> p.getFileName().toString()))
                .containsExactlyInAnyOrder("blobs", "index.json", "oci-layout");
    }

    @Test
    void keeps_every_tag_when_separate_processes_tag_the_same_store() throws Exception {
        int count = 30;
        Path go = home.resolve("go");
        List<Process> workers = new ArrayList<>();
        for (String prefix : List.of("alpha", "beta", "gamma")) {
            workers.add(startWorker("tag", home.toString(), go.toString(), prefix, Integer.toString(count),
                    image.manifestDescriptor().mediaType(), image.digest().toString(), Long.toString(image.manifestDescriptor().size())));
        }
        for (Process w : workers) {
            assertThat(readLine(w)).isEqualTo("ready");
        }

        Files.createFile(go);
        for (int i = 0; i < count; i++) {
            store.tag(ImageRef.parse("parent-" + i + ":v"), image.manifestDescriptor());
        }

        for (Process w : workers) {
            assertThat(readLine(w)).isEqualTo("done");
            assertThat(w.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(w.exitValue()).as(stderr(w)).isZero();
        }
        Set<String> expected = new TreeSet<>(Set.of("base:1"));
        for (String prefix : List.of("alpha", "beta", "gamma", "parent")) {
            for (int i = 0; i < count; i++) {
                expected.add(prefix + "-" + i + ":v");
            }
        }
        assertThat(store.list()).extracting(t -> t.ref().toString()).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(ImageIndex.parse(Files.readAllBytes(home.resolve("images/index.json"))).manifests()).hasSize(expected.size());
    }

    @Test
    void keeps_a_writers_untagged_blob_while_it_holds_a_write_session() throws Exception {
        Digest blob;
        Future<ImageStore.Usage> gc;
        try (AutoCloseable session = store.writeSession()) {
            blob = store.writeBlob("not tagged yet".getBytes(StandardCharsets.UTF_8));

            assertThat(store.collectGarbage(false)).isNull();
            gc = pool.submit(() -> store.collectGarbage(true));
            Thread.sleep(200);
            assertThat(gc).isNotDone();
            assertThat(store.hasBlob(blob)).isTrue();

            byte[] manifest = TestImages.manifest(store, "new", "layer", "not tagged yet");
            store.putImage(ImageRef.parse("new:1"), manifest, null);
        }

        assertThat(gc.get(10, TimeUnit.SECONDS).blobs()).isZero();
        assertThat(store.hasBlob(blob)).isTrue();
        assertThat(store.resolve("new:1").manifest().layers()).hasSize(2);
    }

    @Test
    void collects_a_blob_once_the_session_that_wrote_it_ends_untagged() throws Exception {
        Digest blob;
        try (AutoCloseable session = store.writeSession()) {
            blob = store.writeBlob("abandoned".getBytes(StandardCharsets.UTF_8));
            // sessions nest: the inner one ending does not let a collection in
            try (AutoCloseable inner = store.writeSession()) {
                assertThat(store.collectGarbage(false)).isNull();
            }
            assertThat(store.collectGarbage(false)).isNull();
        }

        assertThat(store.collectGarbage(false).blobs()).isEqualTo(1);
        assertThat(store.hasBlob(blob)).isFalse();
    }

    @Test
    void keeps_the_blob_of_a_session_held_through_another_store_object() throws Exception {
        ImageStore other = ImageStore.open(home);
        Digest blob;
        try (AutoCloseable session = other.writeSession()) {
            blob = other.writeBlob("written through the other object".getBytes(StandardCharsets.UTF_8));

            assertThat(store.collectGarbage(false)).isNull();
        }

        assertThat(store.collectGarbage(false).blobs()).isEqualTo(1);
        assertThat(store.hasBlob(blob)).isFalse();
    }

    @Test
    void keeps_the_blob_of_a_session_held_by_another_process() throws Exception {
        Path go = home.resolve("go");
        Path release = home.resolve("release");
        Process holder = startWorker("hold", home.toString(), go.toString(), release.toString());
        assertThat(readLine(holder)).isEqualTo("ready");
        Files.createFile(go);
        Digest blob = Digest.parse(readLine(holder));
        assertThat(readLine(holder)).isEqualTo("holding");

        assertThat(store.collectGarbage(false)).isNull();
        CompletableFuture<ImageStore.Usage> gc = CompletableFuture.supplyAsync(() -> {
            try {
                return store.collectGarbage(true);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, pool);
        Thread.sleep(300);
        assertThat(gc).isNotDone();
        assertThat(store.hasBlob(blob)).isTrue();

        Files.createFile(release);
        assertThat(readLine(holder)).isEqualTo("released");
        assertThat(gc.get(30, TimeUnit.SECONDS).blobs()).isEqualTo(1);
        assertThat(store.hasBlob(blob)).isFalse();
        assertThat(holder.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(holder.exitValue()).as(stderr(holder)).isZero();
    }

    @Test
    void opens_a_new_session_at_once_while_a_collection_waits_for_an_older_one() throws Exception {
        Future<ImageStore.Usage> gc;
        try (ImageStore.Session older = store.writeSession()) {
            gc = pool.submit(() -> store.collectGarbage(true));
            Thread.sleep(100);
            // e.g. a pack whose worker threads store layers while the main thread holds the session
            Future<Digest> worker = pool.submit(() -> {
                try (ImageStore.Session newer = store.writeSession()) {
                    return store.writeBlob("from a worker".getBytes(StandardCharsets.UTF_8));
                }
            });
            assertThat(worker.get(5, TimeUnit.SECONDS)).isNotNull();
            assertThat(gc).isNotDone();
        }
        assertThat(gc.get(10, TimeUnit.SECONDS).blobs()).isEqualTo(1);
    }

    @Test
    void refuses_to_wait_for_collection_inside_its_own_write_session() {
        assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try (AutoCloseable session = store.writeSession()) {
                assertThatThrownBy(() -> store.collectGarbage(true))
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("writeSession");
            }
        });
    }

    @Test
    void lets_a_session_be_closed_twice_without_releasing_another() throws Exception {
        AutoCloseable first = store.writeSession();
        AutoCloseable second = store.writeSession();
        first.close();
        first.close();

        assertThat(store.collectGarbage(false)).isNull();
        second.close();
        assertThat(store.collectGarbage(false)).isNotNull();
    }

    private Process startWorker(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-XX:TieredStopAtLevel=1", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"),
                StoreWorkerMain.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectError(home.resolve("worker-" + processes.size() + ".err").toFile()).start();
        processes.add(p);
        return p;
    }

    private final java.util.Map<Process, BufferedReader> readers = new java.util.HashMap<>();

    private String readLine(Process p) throws Exception {
        BufferedReader reader = readers.computeIfAbsent(p, x -> new BufferedReader(new InputStreamReader(x.getInputStream(), StandardCharsets.UTF_8)));
        String line = CompletableFuture.supplyAsync(() -> {
            try {
                return reader.readLine();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, pool).get(60, TimeUnit.SECONDS);
        assertThat(line).as("worker output ended; stderr: %s", stderr(p)).isNotNull();
        return line;
    }

    private String stderr(Process p) {
        try {
            return Files.readString(home.resolve("worker-" + processes.indexOf(p) + ".err"));
        } catch (IOException e) {
            return "(no stderr: " + e + ")";
        }
    }
}
