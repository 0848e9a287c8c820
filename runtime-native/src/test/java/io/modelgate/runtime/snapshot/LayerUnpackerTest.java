package io.modelgate.runtime.snapshot;

import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.ExternalTools;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Crafted layers that try to write or link outside the snapshot root, or smuggle device nodes in. Each must be
 * refused with a message naming the layer and the entry, leave no snapshot (nor temporary directory) behind, and
 * leave the host untouched: the attacks aim at a canary file in the test's temporary directory, four levels above
 * the snapshot root ({@code <tmp>/home/snapshots/.tmp-…/fs}), and at a fresh name under /tmp.
 */
class LayerUnpackerTest {
    /** From the snapshot root {@code <tmp>/home/snapshots/.tmp-X/fs} up to {@code <tmp>}. */
    private static final String UP_TO_TMP = "../../../../";

    @TempDir
    Path tmp;
    private Path home;
    private Path canary;
    private FileTime canaryTime;
    private Path hostTmpTarget;
    private ImageStore store;
    private Snapshotter snapshotter;

    @BeforeEach
    void setUp() throws IOException {
        ExternalTools.requireRoot();
        home = tmp.resolve("home");
        store = ImageStore.open(home);
        snapshotter = Snapshotter.open(home);
        canary = Files.writeString(tmp.resolve("canary.txt"), "original");
        canaryTime = Files.getLastModifiedTime(canary);
        hostTmpTarget = Path.of("/tmp", "modelgate-canary-" + UUID.randomUUID());
    }

    @AfterEach
    void hostIsUntouched() throws IOException {
        if (canary == null) {
            return;
        }
        assertThat(canary).hasContent("original");
        assertThat(Files.getLastModifiedTime(canary)).isEqualTo(canaryTime);
        assertThat((int) Files.getAttribute(canary, "unix:nlink")).as("hardlinks to the canary").isEqualTo(1);
        assertThat(hostTmpTarget).doesNotExist();
        try (Stream<Path> left = Files.list(tmp)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("home", "canary.txt");
        }
    }

    private void assertRefused(byte[] tar, String... messageParts) throws IOException {
        StoredImage image = TestImages.create(store, "evil:1", LayerTar.create().file("ok/before", "fine").bytes(), tar);
        String layer = image.manifest().layers().get(1).digest().toString();
        assertThatThrownBy(() -> snapshotter.prepare(store, image))
                .isInstanceOf(SnapshotException.class)
                .hasMessageStartingWith("layer " + layer + " entry ")
                .hasMessageContainingAll(messageParts)
                .hasMessageEndingWith("(rejected)");
        assertThat(snapshotter.find(image.config().diffIds().get(1))).isEmpty();
        try (Stream<Path> left = Files.list(home.resolve("snapshots"))) {
            assertThat(left.map(p -> p.getFileName().toString()))
                    .as("only the good lower layer's snapshot remains, no temporary directory")
                    .containsExactly(image.config().diffIds().get(0).hex());
        }
    }

    @Test
    void refuses_dotdot_path_when_it_leads_outside_the_root() throws IOException {
        assertRefused(LayerTar.create().file("etc/ok", "x").file(UP_TO_TMP + "canary.txt", "pwned").bytes(),
                "entry " + UP_TO_TMP + "canary.txt escapes the root");
    }

    @Test
    void refuses_dotdot_path_when_it_climbs_out_after_going_down() throws IOException {
        assertRefused(LayerTar.create().file("a/b/../../../../../../canary.txt", "pwned").bytes(),
                "entry a/b/../../../../../../canary.txt escapes the root");
    }

    @Test
    void refuses_absolute_path_when_it_names_a_host_file() throws IOException {
        assertRefused(LayerTar.create().file(canary.toString(), "pwned").bytes(),
                "entry " + canary + " is an absolute path");
    }

    @Test
    void refuses_absolute_path_when_it_would_create_under_host_tmp() throws IOException {
        assertRefused(LayerTar.create().file(hostTmpTarget.toString(), "pwned").bytes(),
                "entry " + hostTmpTarget + " is an absolute path");
    }

    @Test
    void refuses_write_through_symlink_when_its_target_is_absolute() throws IOException {
        assertRefused(LayerTar.create().symlink("evil", tmp.toString()).file("evil/canary.txt", "pwned").bytes(),
                "entry evil/canary.txt has a parent directory that resolves outside the root through a symlink");
    }

    @Test
    void refuses_write_through_symlink_when_it_points_at_host_tmp() throws IOException {
        assertRefused(LayerTar.create().symlink("evil", "/tmp").file("evil/" + hostTmpTarget.getFileName(), "pwned").bytes(),
                "entry evil/" + hostTmpTarget.getFileName() + " has a parent directory that resolves outside the root");
    }

    @Test
    void refuses_write_through_symlink_when_its_target_climbs_out() throws IOException {
        assertRefused(LayerTar.create().symlink("evil", "../../../..").file("evil/canary.txt", "pwned").bytes(),
                "entry evil/canary.txt has a parent directory that resolves outside the root through a symlink");
    }

    @Test
    void refuses_write_through_symlink_when_it_is_nested_and_climbs_out() throws IOException {
        assertRefused(LayerTar.create().dir("a").symlink("a/up", "../b/../../../../..").dir("b")
                        .dir("a/up/" + hostTmpTarget.getFileName()).bytes(),
                "entry a/up/" + hostTmpTarget.getFileName() + "/ has a parent directory that resolves outside the root");
    }

    @Test
    void refuses_directory_through_symlink_when_it_leads_to_host_tmp() throws IOException {
        assertRefused(LayerTar.create().symlink("evil", "/tmp").dir("evil/" + hostTmpTarget.getFileName()).bytes(),
                "resolves outside the root through a symlink");
    }

    @Test
    void refuses_hardlink_when_its_relative_target_is_outside() throws IOException {
        assertRefused(LayerTar.create().hardlink("link", UP_TO_TMP + "canary.txt").bytes(),
                "entry link is a hardlink to " + UP_TO_TMP + "canary.txt, whose target escapes the root");
    }

    @Test
    void refuses_hardlink_when_its_target_is_absolute() throws IOException {
        assertRefused(LayerTar.create().hardlink("link", canary.toString()).bytes(),
                "entry link is a hardlink to " + canary + ", whose target is an absolute path");
    }

    @Test
    void refuses_hardlink_when_its_target_goes_through_a_symlink_outside() throws IOException {
        assertRefused(LayerTar.create().symlink("evil", tmp.toString()).hardlink("link", "evil/canary.txt").bytes(),
                "entry link is a hardlink to evil/canary.txt, whose target resolves outside the root through a symlink");
    }

    @Test
    void refuses_hardlink_when_its_target_is_a_symlink_dir_climbing_out() throws IOException {
        assertRefused(LayerTar.create().symlink("evil", "../../../..").hardlink("link", "evil/canary.txt").bytes(),
                "entry link is a hardlink to evil/canary.txt, whose target resolves outside the root");
    }

    @Test
    void refuses_character_device() throws IOException {
        assertRefused(LayerTar.create().dir("dev").charDevice("dev/mem", 1, 1).bytes(),
                "entry dev/mem is a character device 1:1; device nodes are refused");
    }

    @Test
    void refuses_block_device() throws IOException {
        assertRefused(LayerTar.create().blockDevice("sda", 8, 0).bytes(),
                "entry sda is a block device 8:0; device nodes are refused");
    }

    @ParameterizedTest
    @ValueSource(strings = {".wh..", "./.wh.", ".wh..."})
    void refuses_whiteout_of_the_root(String name) throws IOException {
        assertRefused(LayerTar.create().file("etc/ok", "x").whiteout(name).bytes(), "entry " + name + " is a whiteout");
    }

    @ParameterizedTest
    @ValueSource(strings = {".wh.etc/passwd", "dir/.wh.x/y", ".wh./etc"})
    void refuses_whiteout_when_a_slash_follows_the_prefix(String name) throws IOException {
        assertRefused(LayerTar.create().whiteout(name).bytes(), "entry " + name + " is a whiteout name with a '/' after the prefix");
    }

    @Test
    void replaces_a_symlink_instead_of_writing_through_it_when_a_later_entry_has_its_name() throws IOException {
        StoredImage image = TestImages.create(store, "replace:1", LayerTar.create()
                .symlink("evil", canary.toString())
                .file("evil", "inside")
                .symlink("hard", canary.toString())
                .hardlink("hard", "evil")
                .dir("d").symlink("d/host", tmp.toString()).file("d", "a file now")
                .bytes());
        Path root = snapshotter.prepare(store, image).get(0);
        assertThat(root.resolve("evil")).isRegularFile().hasContent("inside");
        assertThat(Files.isSymbolicLink(root.resolve("hard"))).isFalse();
        assertThat(root.resolve("d")).isRegularFile().hasContent("a file now");
        assertThat(Files.getAttribute(root.resolve("hard"), "unix:ino", LinkOption.NOFOLLOW_LINKS))
                .isEqualTo(Files.getAttribute(root.resolve("evil"), "unix:ino"));
    }

    @Test
    void keeps_symlinks_that_point_outside_when_nothing_writes_through_them() throws IOException {
        StoredImage image = TestImages.create(store, "links:1", LayerTar.create()
                .symlink("abs", canary.toString())
                .symlink("up", "../../../../canary.txt")
                .dir("usr/bin").symlink("bin", "usr/bin").file("bin/tool", "through an inside symlink")
                .bytes());
        Path root = snapshotter.prepare(store, image).get(0);
        assertThat(Files.readSymbolicLink(root.resolve("abs"))).isEqualTo(canary);
        assertThat(Files.readSymbolicLink(root.resolve("up"))).hasToString("../../../../canary.txt");
        assertThat(root.resolve("usr/bin/tool")).hasContent("through an inside symlink");
    }
}
