package io.modelgate.runtime.snapshot;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.BusyboxRootfs;
import io.modelgate.packager.testing.ExternalTools;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Unpacking real and crafted layers: metadata, whiteout markers, unpack-once, concurrency, diff_id checks, prune. */
class SnapshotterTest {
    private static final int S_IFMT = 0170000;
    private static final int S_IFCHR = 0020000;
    private static final int S_IFIFO = 0010000;

    @TempDir
    Path tmp;
    private Path home;
    private ImageStore store;
    private Snapshotter snapshotter;

    @BeforeEach
    void setUp() throws IOException {
        ExternalTools.requireRoot();
        home = tmp.resolve("home");
        store = ImageStore.open(home);
        snapshotter = Snapshotter.open(home);
    }

    @Test
    void unpacks_busybox_rootfs_with_symlinks_modes_and_times() throws IOException {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        BusyboxRootfs.create().writeTo(tar);
        StoredImage image = TestImages.create(store, "busybox:1", tar.toByteArray());

        List<Path> lower = snapshotter.prepare(store, image);

        Path root = home.resolve("snapshots").resolve(image.config().diffIds().get(0).hex()).resolve("fs");
        assertThat(lower).containsExactly(root);
        assertThat(Files.mismatch(root.resolve("bin/busybox"), BusyboxRootfs.BUSYBOX)).isEqualTo(-1);
        assertThat(mode(root.resolve("bin/busybox"))).isEqualTo(0755);
        assertThat(Files.readSymbolicLink(root.resolve("bin/sh"))).hasToString("busybox");
        assertThat(mode(root.resolve("tmp"))).isEqualTo(01777);
        assertThat(mode(root.resolve("root"))).isEqualTo(0700);
        assertThat(root.resolve("etc/passwd")).content().startsWith("root:x:0:0:");
        for (String path : List.of("bin", "bin/busybox", "bin/sh", "etc", "etc/passwd", "tmp")) {
            assertThat(Files.getLastModifiedTime(root.resolve(path), NOFOLLOW_LINKS)).as(path).isEqualTo(FileTime.fromMillis(0));
        }
        assertThat(snapshotter.find(image.config().diffIds().get(0)).orElseThrow().size())
                .isGreaterThanOrEqualTo(Files.size(BusyboxRootfs.BUSYBOX));
    }

    @Test
    void unpacks_owners_modes_times_links_and_fifos_as_the_tar_says() throws IOException {
        Instant t = Instant.parse("2011-12-13T14:15:16Z");
        byte[] tar = LayerTar.create().mtime(t)
                .dir("app", 0750)
                .owner(1000, 1001).file("app/run", "#!/bin/sh\n", 04755)
                .symlink("app/current", "run")
                .hardlink("app/run-again", "app/run")
                .fifo("app/pipe", 0640)
                .owner(0, 0).file("deep/er/file", "implicit parents")
                .dir("ro", 0555).file("ro/inside", "written although ro/ is read-only")
                .file("dup", "first").file("dup", "second")
                .dir("was-dir").file("was-dir/x", "x").file("was-dir/naïve-ünïcode", "u").file("was-dir", "now a file")
                .file("ünïcode/café", "utf-8 names")
                .bytes();
        StoredImage image = TestImages.create(store, "meta:1", tar);

        Path root = snapshotter.prepare(store, image).get(0);

        Path run = root.resolve("app/run");
        assertThat(run).hasContent("#!/bin/sh\n");
        assertThat(mode(run)).isEqualTo(04755);
        assertThat(owner(run)).containsExactly(1000, 1001);
        assertThat(Files.getLastModifiedTime(run).toInstant()).isEqualTo(t);
        assertThat(mode(root.resolve("app"))).isEqualTo(0750);
        assertThat(Files.getLastModifiedTime(root.resolve("app")).toInstant()).as("directory mtime set after its children").isEqualTo(t);

        Path current = root.resolve("app/current");
        assertThat(Files.readSymbolicLink(current)).hasToString("run");
        assertThat(owner(current)).containsExactly(1000, 1001);
        assertThat(Files.getLastModifiedTime(current, NOFOLLOW_LINKS).toInstant()).isEqualTo(t);

        assertThat(Files.getAttribute(root.resolve("app/run-again"), "unix:ino")).isEqualTo(Files.getAttribute(run, "unix:ino"));
        assertThat((int) Files.getAttribute(run, "unix:nlink")).isEqualTo(2);

        Path pipe = root.resolve("app/pipe");
        int pipeMode = (int) Files.getAttribute(pipe, "unix:mode", NOFOLLOW_LINKS);
        assertThat(pipeMode & S_IFMT).isEqualTo(S_IFIFO);
        assertThat(pipeMode & 07777).isEqualTo(0640);
        assertThat(owner(pipe)).containsExactly(1000, 1001);

        assertThat(root.resolve("deep/er/file")).hasContent("implicit parents");
        assertThat(mode(root.resolve("deep/er"))).isEqualTo(0755);
        assertThat(mode(root.resolve("ro"))).isEqualTo(0555);
        assertThat(root.resolve("ro/inside")).exists();
        assertThat(root.resolve("dup")).hasContent("second");
        assertThat(root.resolve("was-dir")).isRegularFile().hasContent("now a file");
        assertThat(root.resolve("ünïcode/café")).hasContent("utf-8 names");
        assertThat(snapshotter.find(image.config().diffIds().get(0)).orElseThrow().size())
                .isEqualTo("#!/bin/sh\n".length() + "implicit parents".length() + "written although ro/ is read-only".length()
                        + "first".length() + "second".length() + "x".length() + "u".length() + "now a file".length()
                        + "utf-8 names".length());
    }

    @Test
    void turns_whiteouts_into_character_devices_and_keeps_same_layer_entries() throws IOException {
        byte[] tar = LayerTar.create()
                .whiteout(".wh.gone")
                .whiteout("etc/.wh.passwd")
                .file("kept", "this layer's own").whiteout(".wh.kept")
                .whiteout(".wh.back").file("back", "recreated after its whiteout")
                .dir("opaque").whiteout("opaque/.wh..wh..opq").file("opaque/new", "n")
                .whiteout(".wh..wh.plnk/ignored")
                .bytes();
        StoredImage image = TestImages.create(store, "wh:1", tar);

        Path root = snapshotter.prepare(store, image).get(0);

        for (String whiteout : List.of("gone", "etc/passwd")) {
            int mode = (int) Files.getAttribute(root.resolve(whiteout), "unix:mode", NOFOLLOW_LINKS);
            assertThat(mode & S_IFMT).as(whiteout).isEqualTo(S_IFCHR);
            assertThat((long) Files.getAttribute(root.resolve(whiteout), "unix:rdev", NOFOLLOW_LINKS)).isZero();
        }
        assertThat(root.resolve("kept")).hasContent("this layer's own");
        assertThat(root.resolve("back")).hasContent("recreated after its whiteout");
        assertThat(root.resolve("opaque/new")).exists();
        assertThat(root.resolve(".wh..wh.plnk")).doesNotExist();
        try (Stream<Path> names = Files.list(root)) {
            assertThat(names.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".wh."));
        }
    }

    @Test
    void lists_lower_dirs_top_layer_first() throws IOException {
        StoredImage image = TestImages.create(store, "two:1",
                LayerTar.create().file("base", "b").bytes(), LayerTar.create().file("top", "t").bytes());

        List<Path> lower = snapshotter.prepare(store, image);

        assertThat(lower).hasSize(2);
        assertThat(lower.get(0).resolve("top")).exists();
        assertThat(lower.get(1).resolve("base")).exists();
        assertThat(snapshotter.list()).extracting(Snapshot::diffId).containsExactlyInAnyOrderElementsOf(image.config().diffIds());
    }

    @Test
    void unpacks_a_layer_once_when_prepared_again_or_shared_by_another_image() throws IOException {
        byte[] base = LayerTar.create().file("base", "b").bytes();
        StoredImage first = TestImages.create(store, "first:1", base, LayerTar.create().file("one", "1").bytes());
        StoredImage second = TestImages.create(store, "second:1", base, LayerTar.create().file("two", "2").bytes());

        List<Path> lower = snapshotter.prepare(store, first);
        Object inode = Files.getAttribute(lower.get(1), "unix:ino");
        assertThat(snapshotter.unpackCount()).isEqualTo(2);

        // Without the blobs, a second prepare can only succeed by not reading them.
        for (var layer : first.manifest().layers()) {
            Files.delete(store.blobPath(layer.digest()));
        }
        assertThat(snapshotter.prepare(store, first)).isEqualTo(lower);
        assertThat(Snapshotter.open(home).prepare(store, first)).isEqualTo(lower);
        assertThat(snapshotter.unpackCount()).isEqualTo(2);
        assertThat(Files.getAttribute(lower.get(1), "unix:ino")).isEqualTo(inode);

        List<Path> secondLower = snapshotter.prepare(store, second);
        assertThat(secondLower.get(1)).isEqualTo(lower.get(1));
        assertThat(snapshotter.unpackCount()).isEqualTo(3);
    }

    @Test
    void unpacks_once_when_four_threads_of_two_snapshotters_prepare_the_same_image() throws Exception {
        StringBuilder big = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            big.append("line ").append(i).append('\n');
        }
        LayerTar many = LayerTar.create();
        for (int i = 0; i < 200; i++) {
            many.file("d" + (i % 10) + "/f" + i, big.substring(0, i * 100));
        }
        StoredImage image = TestImages.create(store, "busy:1", many.bytes(), LayerTar.create().file("big", big.toString()).bytes());
        List<Snapshotter> snapshotters = List.of(snapshotter, Snapshotter.open(home));
        CyclicBarrier start = new CyclicBarrier(4);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<Path>>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Snapshotter s = snapshotters.get(i % 2);
                results.add(pool.submit(() -> {
                    start.await();
                    return s.prepare(store, image);
                }));
            }
            List<Path> first = results.get(0).get(60, TimeUnit.SECONDS);
            for (Future<List<Path>> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isEqualTo(first);
            }
            assertThat(snapshotters.get(0).unpackCount() + snapshotters.get(1).unpackCount()).isEqualTo(2);
            assertThat(first.get(0).resolve("big")).hasContent(big.toString());
            assertThat(first.get(1).resolve("d9/f199")).hasContent(big.substring(0, 19_900));
            try (Stream<Path> left = Files.list(home.resolve("snapshots"))) {
                assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrderElementsOf(
                        image.config().diffIds().stream().map(Digest::hex).toList());
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void refuses_layer_when_its_diff_id_does_not_match_the_config() throws IOException {
        StoredImage honest = TestImages.create(store, "honest:1", LayerTar.create().file("a", "a").bytes());
        Digest claimed = Digest.sha256("something else".getBytes());
        StoredImage lying = TestImages.create(store, "lying:1", honest.manifest().layers(), List.of(claimed));

        assertThatThrownBy(() -> snapshotter.prepare(store, lying))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContainingAll("layer " + honest.manifest().layers().get(0).digest(),
                        "unpacks to diff_id " + honest.config().diffIds().get(0), "config says " + claimed, "rejected");
        assertThat(snapshotter.list()).isEmpty();
        try (Stream<Path> left = Files.list(home.resolve("snapshots"))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void refuses_layer_when_its_blob_is_corrupt_in_the_store() throws IOException {
        StoredImage image = TestImages.create(store, "corrupt:1", LayerTar.create().file("a", "a".repeat(10_000)).bytes());
        Path blob = store.blobPath(image.manifest().layers().get(0).digest());
        byte[] bytes = Files.readAllBytes(blob);
        bytes[bytes.length - 1] ^= 1; // the gzip trailer: the tar itself still reads
        Files.write(blob, bytes);

        assertThatThrownBy(() -> snapshotter.prepare(store, image))
                .isInstanceOf(SnapshotException.class)
                .hasMessageContaining("layer " + image.manifest().layers().get(0).digest());
        try (Stream<Path> left = Files.list(home.resolve("snapshots"))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void prunes_snapshots_not_in_use_and_leftovers_of_failed_unpacks() throws IOException {
        StoredImage kept = TestImages.create(store, "kept:1", LayerTar.create().file("k", "k").bytes());
        StoredImage unused = TestImages.create(store, "unused:1", LayerTar.create().file("u", "u").bytes());
        snapshotter.prepare(store, kept);
        snapshotter.prepare(store, unused);
        Path stale = Files.createDirectories(home.resolve("snapshots").resolve(".tmp-" + "0".repeat(64) + "-crashed/fs/x"));
        Files.createSymbolicLink(stale.resolve("host"), tmp);
        Path trash = Files.createDirectories(home.resolve("snapshots/.trash-crashed/fs"));
        Path keep = Files.writeString(tmp.resolve("must-survive"), "yes");

        List<Snapshot> removed = snapshotter.prune(Set.copyOf(kept.config().diffIds()));

        assertThat(removed).extracting(Snapshot::diffId).containsExactlyElementsOf(unused.config().diffIds());
        assertThat(snapshotter.list()).extracting(Snapshot::diffId).containsExactlyElementsOf(kept.config().diffIds());
        assertThat(home.resolve("snapshots").resolve(".tmp-" + "0".repeat(64) + "-crashed")).doesNotExist();
        assertThat(trash.getParent()).doesNotExist();
        assertThat(keep).hasContent("yes");
        assertThat(snapshotter.prepare(store, unused).get(0).resolve("u")).hasContent("u");
    }

    @Test
    void keeps_the_snapshots_directory_private_to_root() throws IOException {
        assertThat(mode(home.resolve("snapshots"))).isEqualTo(0700);
    }

    private static int mode(Path p) throws IOException {
        return (int) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    private static List<Integer> owner(Path p) throws IOException {
        return List.of((Integer) Files.getAttribute(p, "unix:uid", NOFOLLOW_LINKS), (Integer) Files.getAttribute(p, "unix:gid", NOFOLLOW_LINKS));
    }
}
