package io.modelgate.gateway.route;

import io.modelgate.gateway.route.ResponseReader.Framing;
import io.modelgate.gateway.route.ResponseReader.Head;
import io.modelgate.gateway.route.ResponseReader.ParseException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

class ResponseReaderTest {
    private static final String JSON = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            + "Content-Length:  17 \r\nConnection: keep-alive\r\n\r\n{\"outputs\":[1,2]}";
    private static final String CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n6 ; x\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n";

    @Test
    void reads_a_whole_small_response_from_one_buffer() throws Exception {
        ByteBuf in = buf(JSON);
        Recorder r = new Recorder();
        ResponseReader reader = new ResponseReader(8192);
        reader.feed(in, r);

        Head h = r.heads.get(0);
        assertThat(h.status()).isEqualTo(200);
        assertThat(h.reason()).isEqualTo("OK");
        assertThat(h.http11()).isTrue();
        assertThat(h.names()).containsExactly("Content-Type", "Content-Length", "Connection");
        assertThat(h.values()).containsExactly("application/json", "17", "keep-alive");
        assertThat(h.framing()).isEqualTo(Framing.LENGTH);
        assertThat(h.contentLength()).isEqualTo(17);
        assertThat(h.connection()).isEqualTo("keep-alive");
        assertThat(r.body()).isEqualTo("{\"outputs\":[1,2]}");
        assertThat(r.lasts).isEqualTo(1);
        assertThat(reader.complete()).isTrue();
        assertThat(in.isReadable()).isFalse();
    }

    @Test
    void gives_the_same_result_however_a_response_is_split() throws Exception {
        for (String response : List.of(JSON, CHUNKED, JSON.replace("\r\n", "\n"))) {
            Recorder whole = feed(response, response.length());
            assertThat(whole.lasts).isEqualTo(1);
            for (int cut = 0; cut <= response.length(); cut++) {
                assertThat(feed(response, cut)).as("cut at %d", cut).isEqualTo(whole);
            }
            assertThat(feed(response, -1)).as("byte by byte").isEqualTo(whole);
        }
    }

    @Test
    void dechunks_and_drops_extensions_and_trailers() throws Exception {
        Recorder r = feed(CHUNKED, CHUNKED.length());
        assertThat(r.heads.get(0).framing()).isEqualTo(Framing.CHUNKED);
        assertThat(r.heads.get(0).contentLength()).isEqualTo(-1);
        assertThat(r.body()).isEqualTo("hello world");
    }

    @Test
    void leaves_a_pipelined_response_unread_until_reset() throws Exception {
        String second = "HTTP/1.0 404 Not Found\r\nContent-Length: 3\r\n\r\nnop";
        ByteBuf in = buf(JSON + second);
        ResponseReader reader = new ResponseReader(8192);
        Recorder first = new Recorder();
        reader.feed(in, first);
        assertThat(first.body()).endsWith("[1,2]}");
        assertThat(in.readerIndex()).isEqualTo(JSON.length());

        reader.feed(in, first);
        assertThat(in.readerIndex()).as("nothing more after last()").isEqualTo(JSON.length());

        reader.reset(false);
        Recorder next = new Recorder();
        reader.feed(in, next);
        assertThat(next.heads.get(0).status()).isEqualTo(404);
        assertThat(next.heads.get(0).reason()).isEqualTo("Not Found");
        assertThat(next.heads.get(0).http11()).isFalse();
        assertThat(next.body()).isEqualTo("nop");
        assertThat(in.isReadable()).isFalse();
    }

    @Test
    void skips_interim_responses() throws Exception {
        Recorder r = feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + JSON, 10);
        assertThat(r.heads).extracting(Head::status).containsExactly(200);
        assertThat(r.heads.get(0).names()).doesNotContain("Link");
        assertThat(r.body()).isEqualTo("{\"outputs\":[1,2]}");
    }

    @Test
    void reads_no_body_for_204_304_head_and_zero_length() throws Exception {
        String[] responses = {"HTTP/1.1 204\r\nContent-Length: 5\r\n\r\n", "HTTP/1.1 304 \r\nContent-Length: 5\r\n\r\n",
                "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"};
        for (String response : responses) {
            ByteBuf in = buf(response + "trailing");
            Recorder r = new Recorder();
            new ResponseReader(8192).feed(in, r);
            assertThat(r.lasts).as(response).isEqualTo(1);
            assertThat(r.body()).isEmpty();
            assertThat(in.toString(StandardCharsets.US_ASCII)).isEqualTo("trailing");
        }
        ResponseReader reader = new ResponseReader(8192);
        reader.reset(true);
        Recorder head = new Recorder();
        reader.feed(buf("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"), head);
        assertThat(head.heads.get(0).framing()).isEqualTo(Framing.NONE);
        assertThat(head.heads.get(0).contentLength()).isEqualTo(-1);
        assertThat(head.lasts).isEqualTo(1);
    }

    @Test
    void reads_until_close_when_there_is_no_length_or_the_last_coding_is_not_chunked() throws Exception {
        for (String head : List.of("HTTP/1.0 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\n")) {
            ResponseReader reader = new ResponseReader(8192);
            Recorder r = new Recorder();
            reader.feed(buf(head + "abc"), r);
            reader.feed(buf("def"), r);
            assertThat(reader.complete()).isFalse();
            reader.closed(r);
            assertThat(r.heads.get(0).framing()).isEqualTo(Framing.UNTIL_CLOSE);
            assertThat(r.body()).isEqualTo("abcdef");
            assertThat(r.lasts).isEqualTo(1);
        }
    }

    @Test
    void accepts_repeated_equal_content_lengths() throws Exception {
        Recorder r = feed("HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\ncontent-length: 3\r\n\r\nabc", 20);
        assertThat(r.heads.get(0).contentLength()).isEqualTo(3);
        assertThat(r.body()).isEqualTo("abc");
    }

    @Test
    void reports_a_connection_that_closes_early() throws Exception {
        ResponseReader reader = new ResponseReader(8192);
        assertThatThrownBy(() -> reader.closed(new Recorder())).hasMessageContaining("before sending a response");

        reader.reset(false);
        reader.feed(buf("HTTP/1.1 200 OK\r\nContent-Le"), new Recorder());
        assertThatThrownBy(() -> reader.closed(new Recorder())).hasMessageContaining("broke off in the response head");

        reader.reset(false);
        reader.feed(buf("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n1234"), new Recorder());
        assertThatThrownBy(() -> reader.closed(new Recorder())).hasMessageContaining("broke off with 6 body bytes");
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                Arguments.of("HTTP/2 200 OK\r\n\r\n", "not HTTP/1.1 or HTTP/1.0"),
                Arguments.of("HTTP/1.1 20 OK\r\n\r\n", "3-digit status"),
                Arguments.of("HTTP/1.1 2000 OK\r\n\r\n", "3-digit status"),
                Arguments.of("HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n", "101"),
                Arguments.of("HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx", "whitespace between header name and colon"),
                Arguments.of("HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\n\r\n", "obs-fold"),
                Arguments.of("HTTP/1.1 200 OK\r\nX-A: a\rb\r\n\r\n", "bare CR"),
                Arguments.of("HTTP/1.1 200 OK\r\nX-A: a\u0001b\r\n\r\n", "control character"),
                Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "differing Content-Length"),
                Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "differing Content-Length"),
                Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\n", "Content-Length '+5' is not a number"),
                Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 9223372036854775808\r\n\r\n", "too large"),
                Arguments.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "hex chunk size"),
                Arguments.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcd\r\n", "not followed by CRLF"),
                Arguments.of("HTTP/1.1 200 OK\r\nX-Big: " + "x".repeat(300) + "\r\n\r\n", "longer than 256 bytes"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("malformed")
    void refuses_a_malformed_response_naming_the_problem(String response, String problem) {
        ResponseReader reader = new ResponseReader(256);
        assertThatThrownBy(() -> reader.feed(buf(response), new Recorder()))
                .isInstanceOf(ParseException.class).hasMessageContaining(problem);
        // the same refusal when the bytes trickle in
        ResponseReader trickled = new ResponseReader(256);
        Recorder recorder = new Recorder();
        assertThatThrownBy(() -> {
            for (byte b : response.getBytes(StandardCharsets.ISO_8859_1)) {
                trickled.feed(Unpooled.wrappedBuffer(new byte[] {b}), recorder);
            }
        }).isInstanceOf(ParseException.class).hasMessageContaining(problem);
    }

    /** Feeds {@code response} in two pieces cut at {@code cut}, or byte by byte when cut is -1. */
    private static Recorder feed(String response, int cut) throws ParseException {
        ResponseReader reader = new ResponseReader(8192);
        reader.reset(false);
        Recorder r = new Recorder();
        List<ByteBuf> pieces = new ArrayList<>();
        if (cut < 0) {
            for (int i = 0; i < response.length(); i++) pieces.add(buf(response.substring(i, i + 1)));
        } else {
            pieces.add(buf(response.substring(0, cut)));
            pieces.add(buf(response.substring(cut)));
        }
        for (ByteBuf piece : pieces) {
            reader.feed(piece, r);
            assertThat(piece.isReadable()).as("every byte belongs to the response").isFalse();
        }
        assertThat(reader.complete()).isTrue();
        reader.release();
        return r;
    }

    private static ByteBuf buf(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
    }

    /** Records what the reader reported, checking the order of the calls as it goes. */
    private static final class Recorder implements ResponseReader.Listener {
        final List<Head> heads = new ArrayList<>();
        final ByteArrayOutputStream content = new ByteArrayOutputStream();
        int lasts;

        @Override
        public void head(Head head) {
            if (!heads.isEmpty() || lasts > 0) fail("a second head");
            heads.add(head);
        }

        @Override
        public void content(ByteBuf data) {
            if (heads.isEmpty() || lasts > 0 || !data.isReadable()) fail("content out of order or empty");
            byte[] bytes = new byte[data.readableBytes()];
            data.getBytes(data.readerIndex(), bytes);
            content.writeBytes(bytes);
        }

        @Override
        public void last() {
            if (heads.isEmpty() || lasts > 0) fail("last() out of order");
            lasts++;
        }

        String body() {
            return content.toString(StandardCharsets.ISO_8859_1);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Recorder r && heads.equals(r.heads) && body().equals(r.body()) && lasts == r.lasts;
        }

        @Override
        public int hashCode() {
            return heads.hashCode();
        }

        @Override
        public String toString() {
            return heads + " " + body() + " last=" + lasts;
        }
    }
}
