package io.modelgate.gateway.source;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafeTarTest {
    @TempDir
    Path tmp;

    /** Builds a tar in memory: each call adds one entry. */
    private static final class Tar {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final TarArchiveOutputStream out = new TarArchiveOutputStream(bytes);

        Tar() {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        }

        Tar file(String name, String content) throws IOException {
            return file(name, content, 0644);
        }

        Tar file(String name, String content, int mode) throws IOException {
            byte[] data = content.getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(name, true);
            e.setSize(data.length);
            e.setMode(mode);
            out.putArchiveEntry(e);
            out.write(data);
            out.closeArchiveEntry();
            return this;
        }

        Tar dir(String name) throws IOException {
            return entry(name.endsWith("/") ? name : name + "/", TarConstants.LF_DIR, null);
        }

        Tar symlink(String name, String target) throws IOException {
            return entry(name, TarConstants.LF_SYMLINK, target);
        }

        Tar hardlink(String name, String target) throws IOException {
            return entry(name, TarConstants.LF_LINK, target);
        }

        Tar entry(String name, byte type, String link) throws IOException {
            TarArchiveEntry e = new TarArchiveEntry(name, type, true);
            if (link != null) {
                e.setLinkName(link);
            }
            out.putArchiveEntry(e);
            out.closeArchiveEntry();
            return this;
        }

        byte[] bytes() throws IOException {
            out.close();
            return bytes.toByteArray();
        }
    }

    private Path root() throws IOException {
        return Files.createDirectories(tmp.resolve("root")).toRealPath();
    }

    private void unpack(byte[] tar, Path root) throws IOException {
        SafeTar.unpack(new ByteArrayInputStream(tar), root, 1 << 20);
    }

    @Test
    void unpacks_files_directories_links_and_modes_inside_the_root() throws IOException {
        Path root = root();
        unpack(new Tar().dir("./").file("./model.yaml", "name: m\n").dir("./bin").file("./bin/run.sh", "#!/bin/sh\n", 0755)
                .symlink("./bin/latest", "run.sh").hardlink("./copy.yaml", "./model.yaml").bytes(), root);
        assertThat(root.resolve("model.yaml")).hasContent("name: m");
        assertThat(Files.isExecutable(root.resolve("bin/run.sh"))).isTrue();
        assertThat(Files.readSymbolicLink(root.resolve("bin/latest"))).isEqualTo(Path.of("run.sh"));
        assertThat(root.resolve("copy.yaml")).hasContent("name: m");
    }

    @Test
    void gzip_is_recognised_by_its_magic_bytes() throws IOException {
        Path root = root();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GzipCompressorOutputStream(gz)) {
            out.write(new Tar().file("model.yaml", "name: m\n").bytes());
        }
        unpack(gz.toByteArray(), root);
        assertThat(root.resolve("model.yaml")).hasContent("name: m");
    }

    @Test
    void refuses_dot_dot_when_an_entry_climbs_out() throws IOException {
        Path root = root();
        assertThatThrownBy(() -> unpack(new Tar().file("a/../../evil", "x").bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("a/../../evil escapes");
        assertThat(tmp.resolve("evil")).doesNotExist();
    }

    @Test
    void refuses_absolute_names() throws IOException {
        Path root = root();
        assertThatThrownBy(() -> unpack(new Tar().file("/tmp/evil", "x").bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("absolute");
    }

    @Test
    void refuses_symlinks_that_point_outside() throws IOException {
        Path root = root();
        assertThatThrownBy(() -> unpack(new Tar().symlink("etc", "/etc").bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("points outside");
        assertThatThrownBy(() -> unpack(new Tar().dir("d").symlink("d/up", "../../..").bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("points outside");
    }

    @Test
    void refuses_writing_through_a_symlink_even_one_that_points_inside() throws IOException {
        Path root = root();
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        // a link inside the root is allowed; a later entry through it is not (it could have been retargeted)
        assertThatThrownBy(() -> unpack(new Tar().dir("real").symlink("alias", "real").file("alias/f", "x").bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("leads through the symlink alias");
        // the classic two-step: a link to a sibling name, then a file written to the link's own name
        assertThatThrownBy(() -> unpack(new Tar().symlink("x", "y").file("x", "overwrite").bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("through a symlink");
        try (Stream<Path> s = Files.list(outside)) {
            assertThat(s).isEmpty();
        }
    }

    @Test
    void refuses_hard_links_to_anything_but_an_unpacked_file() throws IOException {
        Path root = root();
        assertThatThrownBy(() -> unpack(new Tar().hardlink("passwd", "../../etc/passwd").bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("escapes");
        assertThatThrownBy(() -> unpack(new Tar().hardlink("passwd", "missing").bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("does not point at a file");
    }

    @Test
    void refuses_device_nodes_and_fifos() throws IOException {
        Path root = root();
        assertThatThrownBy(() -> unpack(new Tar().entry("null", TarConstants.LF_CHR, null).bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("character device");
        assertThatThrownBy(() -> unpack(new Tar().entry("pipe", TarConstants.LF_FIFO, null).bytes(), root))
                .isInstanceOf(SafeTar.UnsafeEntryException.class).hasMessageContaining("FIFO");
    }

    @Test
    void refuses_content_over_the_limit_even_when_it_compresses_well() throws IOException {
        Path root = root();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (OutputStream out = new GzipCompressorOutputStream(gz)) {
            out.write(new Tar().file("zeros", "\0".repeat(4 << 20)).bytes());
        }
        assertThat(gz.size()).isLessThan(1 << 20);
        assertThatThrownBy(() -> unpack(gz.toByteArray(), root))
                .isInstanceOf(SafeTar.TooLargeException.class).hasMessageContaining("more than 1048576 bytes");
    }
}
