package io.modelgate.packager.layer;

import io.modelgate.packager.testing.ExternalTools;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.GZIPInputStream;

import static io.modelgate.packager.layer.ParallelGzipOutputStream.BLOCK;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.params.provider.Arguments.arguments;

class ParallelGzipOutputStreamTest {
    private static final int MIB = 1024 * 1024;

    static Stream<Arguments> inputs() {
        return Stream.of(
                arguments("empty", new byte[0]),
                arguments("1 byte", random(1, 1)),
                arguments("block-1 random", random(BLOCK - 1, 2)),
                arguments("block random", random(BLOCK, 3)),
                arguments("block+1 random", random(BLOCK + 1, 4)),
                arguments("block-1 text", text(BLOCK - 1)),
                arguments("block text", text(BLOCK)),
                arguments("block+1 text", text(BLOCK + 1)),
                arguments("3 MiB random", random(3 * MIB, 5)),
                arguments("5 MiB+13 text", text(5 * MIB + 13)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void decompresses_to_the_input_with_java_gzip_when_written_in_any_size(String name, byte[] input) throws IOException {
        byte[] gz = gzip(input, 4, 8191);

        assertArrayEquals(input, gunzip(gz), name);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void writes_the_crc_and_size_trailer_and_a_fixed_header(String name, byte[] input) throws IOException {
        byte[] gz = gzip(input, 2, input.length + 1);

        assertThat(gz).startsWith(0x1f, 0x8b, 8, 0, 0, 0, 0, 0);
        ByteBuffer trailer = ByteBuffer.wrap(gz, gz.length - 8, 8).order(ByteOrder.LITTLE_ENDIAN);
        CRC32 crc = new CRC32();
        crc.update(input);
        assertThat(trailer.getInt() & 0xffffffffL).as("CRC32").isEqualTo(crc.getValue());
        assertThat(trailer.getInt()).as("ISIZE").isEqualTo(input.length);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void gives_the_same_bytes_whatever_the_thread_count_or_write_sizes(String name, byte[] input) throws IOException {
        byte[] one = gzip(input, 1, 1 << 20);

        assertArrayEquals(one, gzip(input, 4, 1 << 20), "threads=1 vs threads=4");
        assertArrayEquals(one, gzip(input, 4, 1000), "other write sizes");
        assertArrayEquals(one, gzip(input, 3, BLOCK), "writes of a whole block");
    }

    @Test
    void gives_the_same_bytes_when_fed_one_byte_at_a_time() throws IOException {
        byte[] input = text(BLOCK * 2 + 5);
        ByteArrayOutputStream bytewise = new ByteArrayOutputStream();
        try (OutputStream gz = new ParallelGzipOutputStream(bytewise, Compression.GZIP_LEVEL, 2)) {
            for (byte b : input) {
                gz.write(b);
            }
        }
        assertArrayEquals(gzip(input, 1, input.length), bytewise.toByteArray());
    }

    @Test
    void compresses_about_as_well_as_one_gzip_stream_when_spread_over_many_blocks() throws IOException {
        byte[] input = text(4 * MIB);
        ByteArrayOutputStream single = new ByteArrayOutputStream();
        try (OutputStream gz = new java.util.zip.GZIPOutputStream(single)) {
            gz.write(input);
        }

        byte[] gz = gzip(input, 4, 65536);

        assertThat(gz.length).isLessThan(input.length / 2).isLessThan(single.size() * 102 / 100);
    }

    @Test
    void refers_back_into_the_previous_block_when_data_repeats_across_blocks() throws IOException {
        // 20 KiB of noise repeated: each block can only shrink if it may refer to the block before it
        byte[] pattern = random(20 * 1024, 7);
        byte[] input = new byte[2 * MIB];
        for (int off = 0; off < input.length; off += pattern.length) {
            System.arraycopy(pattern, 0, input, off, Math.min(pattern.length, input.length - off));
        }

        byte[] gz = gzip(input, 4, 65536);

        assertThat(gz.length).isLessThan(2 * pattern.length);
        assertArrayEquals(input, gunzip(gz));
    }

    @Test
    void is_accepted_by_the_system_gzip(@TempDir Path dir) throws Exception {
        Path gzipTool = ExternalTools.require("gzip", "gzip");
        for (Object[] args : inputs().map(Arguments::get).toList()) {
            String name = (String) args[0];
            byte[] input = (byte[]) args[1];
            Path file = dir.resolve("in.gz");
            Files.write(file, gzip(input, 4, 100_000));

            assertThat(run(dir, gzipTool.toString(), "-t", file.toString())).as("gzip -t on %s", name).isEmpty();
            Path out = dir.resolve("out");
            ProcessBuilder pb = new ProcessBuilder(gzipTool.toString(), "-dc", file.toString())
                    .redirectOutput(out.toFile()).redirectErrorStream(false);
            Process p = pb.start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(p.exitValue()).as("gzip -dc on %s: %s", name, new String(p.getErrorStream().readAllBytes())).isZero();
            assertArrayEquals(input, Files.readAllBytes(out), name);
        }
    }

    @Test
    void passes_on_the_failure_when_the_underlying_stream_fails() {
        OutputStream failing = new OutputStream() {
            long written;

            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                written += len;
                if (written > 100_000) {
                    throw new IOException("disk full");
                }
            }
        };
        byte[] input = random(4 * MIB, 9);

        assertThatThrownBy(() -> {
            try (OutputStream gz = new ParallelGzipOutputStream(failing, Compression.GZIP_LEVEL, 2)) {
                gz.write(input);
            }
        }).isInstanceOf(IOException.class).hasMessageContaining("disk full");
    }

    @Test
    void refuses_writes_after_close_and_closes_once() throws IOException {
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        OutputStream gz = new ParallelGzipOutputStream(sink, Compression.GZIP_LEVEL, 1);
        gz.write(text(10));
        gz.close();
        int length = sink.size();
        gz.close();

        assertThat(sink.size()).isEqualTo(length);
        assertThatThrownBy(() -> gz.write(1)).isInstanceOf(IOException.class);
        assertThat(gunzip(sink.toByteArray())).isEqualTo(text(10));
    }

    static byte[] gzip(byte[] input, int threads, int chunk) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (OutputStream gz = new ParallelGzipOutputStream(bytes, Compression.GZIP_LEVEL, threads)) {
            for (int off = 0; off < input.length; off += chunk) {
                gz.write(input, off, Math.min(chunk, input.length - off));
            }
        }
        return bytes.toByteArray();
    }

    static byte[] gunzip(byte[] gz) throws IOException {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            return in.readAllBytes();
        }
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Compressible, but not trivially: lines of words with varying numbers. */
    static byte[] text(int size) {
        StringBuilder s = new StringBuilder(size + 100);
        Random r = new Random(42);
        String[] words = {"model", "layer", "tensor", "weights", "bias", "gradient", "onnx", "serve", "\n"};
        while (s.length() < size) {
            s.append(words[r.nextInt(words.length)]).append(' ').append(r.nextInt(1000)).append(' ');
        }
        return s.substring(0, size).getBytes(StandardCharsets.US_ASCII);
    }

    private static String run(Path dir, String... command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return p.exitValue() == 0 ? output : "exit " + p.exitValue() + ": " + output;
    }
}
