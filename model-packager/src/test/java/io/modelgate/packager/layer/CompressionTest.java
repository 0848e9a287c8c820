package io.modelgate.packager.layer;

import io.modelgate.packager.image.ImageFormatException;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.testing.ExternalTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static io.modelgate.packager.layer.ParallelGzipOutputStreamTest.random;
import static io.modelgate.packager.layer.ParallelGzipOutputStreamTest.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;

class CompressionTest {

    @ParameterizedTest
    @EnumSource(Compression.class)
    void decompresses_what_it_compressed(Compression compression) throws IOException {
        for (byte[] input : new byte[][] {new byte[0], random(1, 1), text(300_000), random(1_000_000, 2)}) {
            byte[] packed = compress(compression, input, 4);

            assertArrayEquals(input, decompress(compression.decompress(new ByteArrayInputStream(packed))));
            assertArrayEquals(input, decompress(Compression.decompressAuto(new ByteArrayInputStream(packed))),
                    "auto-detected " + compression);
        }
    }

    @ParameterizedTest
    @EnumSource(Compression.class)
    void compresses_to_the_same_bytes_each_time(Compression compression) throws IOException {
        byte[] input = text(700_000);
        assertArrayEquals(compress(compression, input, 1), compress(compression, input, 4));
    }

    @Test
    void sniffs_gzip_zstd_and_plain_from_the_first_bytes() throws IOException {
        assertThat(Compression.sniff(compress(Compression.GZIP, text(10), 1), 4)).isEqualTo(Compression.GZIP);
        assertThat(Compression.sniff(compress(Compression.ZSTD, text(10), 1), 4)).isEqualTo(Compression.ZSTD);
        assertThat(Compression.sniff(text(10), 10)).isEqualTo(Compression.NONE);
        // too short to be sure, or only part of a magic number
        assertThat(Compression.sniff(new byte[] {0x1f, (byte) 0x8b}, 1)).isEqualTo(Compression.NONE);
        assertThat(Compression.sniff(new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd}, 3)).isEqualTo(Compression.NONE);
        assertThat(Compression.sniff(new byte[0], 0)).isEqualTo(Compression.NONE);
    }

    @Test
    void passes_short_plain_input_through_when_auto_detecting() throws IOException {
        for (byte[] input : new byte[][] {new byte[0], {0x1f}, {0x28, (byte) 0xb5, 0x2f}, text(3)}) {
            assertArrayEquals(input, decompress(Compression.decompressAuto(new ByteArrayInputStream(input))));
        }
    }

    @Test
    void writes_zstd_that_the_zstd_tool_reads(@TempDir Path dir) throws Exception {
        Path zstd = ExternalTools.require("zstd", "zstd");
        byte[] input = text(1_500_000);
        Path file = dir.resolve("layer.tar.zst");
        Files.write(file, compress(Compression.ZSTD, input, 2));
        Path out = dir.resolve("out");

        Process p = new ProcessBuilder(zstd.toString(), "-q", "-d", "-c", file.toString()).redirectOutput(out.toFile()).start();

        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertArrayEquals(input, Files.readAllBytes(out));
    }

    @Test
    void maps_names_and_media_types_to_compressions() {
        assertThat(Compression.parse("gzip")).isEqualTo(Compression.GZIP);
        assertThat(Compression.parse("ZSTD")).isEqualTo(Compression.ZSTD);
        assertThat(Compression.parse("none")).isEqualTo(Compression.NONE);
        assertThatThrownBy(() -> Compression.parse("bzip2")).hasMessageContaining("'bzip2'").hasMessageContaining("gzip, zstd or none");

        assertThat(Compression.ofMediaType(MediaTypes.OCI_LAYER_GZIP)).isEqualTo(Compression.GZIP);
        assertThat(Compression.ofMediaType(MediaTypes.DOCKER_LAYER_GZIP)).isEqualTo(Compression.GZIP);
        assertThat(Compression.ofMediaType(MediaTypes.OCI_LAYER_ZSTD)).isEqualTo(Compression.ZSTD);
        assertThat(Compression.ofMediaType(MediaTypes.OCI_LAYER)).isEqualTo(Compression.NONE);
        assertThatThrownBy(() -> Compression.ofMediaType("application/x-bzip2"))
                .isInstanceOf(ImageFormatException.class).hasMessageContaining("application/x-bzip2");

        assertThat(Compression.GZIP.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_GZIP);
        assertThat(Compression.ZSTD.mediaType()).isEqualTo(MediaTypes.OCI_LAYER_ZSTD);
        assertThat(Compression.NONE.mediaType()).isEqualTo(MediaTypes.OCI_LAYER);
    }

    static byte[] compress(Compression compression, byte[] input, int threads) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream out = compression.compress(bytes, threads)) {
            out.write(input);
        }
        return bytes.toByteArray();
    }

    private static byte[] decompress(InputStream in) throws IOException {
        try (in) {
            return in.readAllBytes();
        }
    }
}
