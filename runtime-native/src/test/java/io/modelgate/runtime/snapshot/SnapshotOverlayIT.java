package io.modelgate.runtime.snapshot;

import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import io.modelgate.packager.testing.ExternalTools;
import io.modelgate.packager.testing.Processes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Snapshots mounted as a real overlay: whiteouts delete, opaque directories hide what the layers below hold. */
class SnapshotOverlayIT {
    @TempDir
    Path tmp;

    @Test
    void hides_whiteouts_and_empties_opaque_dirs_when_mounted_as_overlay_lower_dirs() throws Exception {
        ExternalTools.requireRoot();
        Path mount = ExternalTools.require("mount", "mount");
        Path umount = ExternalTools.require("umount", "mount");
        Path home = tmp.resolve("home");
        ImageStore store = ImageStore.open(home);
        byte[] base = LayerTar.create()
                .file("etc/keep", "kept").file("etc/gone", "deleted above")
                .file("data/old", "hidden above").file("data/sub/deep", "hidden above")
                .file("gone-dir/x", "deleted above with its directory")
                .bytes();
        byte[] top = LayerTar.create()
                .whiteout("etc/.wh.gone")
                .dir("data").whiteout("data/.wh..wh..opq").file("data/new", "new")
                .whiteout(".wh.gone-dir")
                .bytes();
        StoredImage image = TestImages.create(store, "overlay:1", base, top);
        List<Path> lower = Snapshotter.open(home).prepare(store, image);
        Path merged = Files.createDirectory(tmp.resolve("merged"));

        Processes.runOk(List.of(mount.toString(), "-t", "overlay", "overlay", "-o",
                "lowerdir=" + lower.get(0) + ":" + lower.get(1), merged.toString()));
        try {
            assertThat(merged.resolve("etc/keep")).hasContent("kept");
            assertThat(merged.resolve("etc/gone")).doesNotExist();
            assertThat(merged.resolve("gone-dir")).doesNotExist();
            try (Stream<Path> data = Files.list(merged.resolve("data"))) {
                assertThat(data.map(p -> p.getFileName().toString())).containsExactly("new");
            }
            try (Stream<Path> rootNames = Files.list(merged)) {
                assertThat(rootNames.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("etc", "data");
            }
        } finally {
            Processes.runOk(List.of(umount.toString(), merged.toString()));
        }
    }
}
