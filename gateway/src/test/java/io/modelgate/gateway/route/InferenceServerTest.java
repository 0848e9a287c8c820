package io.modelgate.gateway.route;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the inference port's own HTTP/1.1 server ({@link InferenceServer}) does with the connection itself, over raw
 * sockets: pipelined requests, Connection: close and HTTP/1.0 callers, absolute-form targets, transfer codings it does
 * not pass on, and an upload the replica answered before it ended. The paths and answers both ports share are
 * {@link DataPlaneTests}' and {@link InferenceSettingsTests}'.
 */
@QuarkusTest
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class InferenceServerTest {
    @Inject
    Router router;
    @Inject
    InferenceListener listener;

    private HttpServer replica;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    @BeforeEach
    void startReplica() throws IOException {
        replica = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        replica.setExecutor(pool);
        replica.createContext("/v2/models/m/infer", exchange -> {
            byte[] in = exchange.getRequestBody().readAllBytes();
            byte[] out = ("{\"got\":" + new String(in, StandardCharsets.UTF_8) + "}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        replica.start();
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(Endpoint.of("r1", URI.create("http://127.0.0.1:"
                + replica.getAddress().getPort() + "/v2/models/m/"))));
    }

    @AfterEach
    void stopReplica() {
        router.unregister("m");
        replica.stop(0);
        pool.shutdownNow();
    }

    private Socket connect() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.port().orElseThrow());
        s.setSoTimeout(10_000);
        return s;
    }

    private static String infer(String body, String extraHeaders) {
        return "POST /v2/models/m/infer HTTP/1.1\r\nHost: gw\r\nContent-Length: " + body.length() + "\r\n" + extraHeaders
                + "\r\n" + body;
    }

    /** Everything the gateway sends until it closes the connection. */
    private static String readToEnd(Socket s) throws IOException {
        return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** One answer with a Content-Length: its head and body. */
    private static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("the connection closed in an answer's head: " + head);
            }
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        int length = 0;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return h + new String(in.readNBytes(length), StandardCharsets.ISO_8859_1);
    }

    @Test
    void pipelined_requests_are_answered_in_order_on_one_connection() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write((infer("1", "") + infer("2", "") + "GET /v2/health/live HTTP/1.1\r\nHost: gw\r\n\r\n"
                    + infer("3", "")).getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 200").endsWith("{\"got\":1}");
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 200").endsWith("{\"got\":2}");
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 200").contains("content-length: 0");
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 200").endsWith("{\"got\":3}");
        }
    }

    @Test
    void a_caller_asking_to_close_gets_the_whole_answer_then_the_close() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(infer("42", "Connection: close\r\n").getBytes(StandardCharsets.US_ASCII));
            String all = readToEnd(s);
            assertThat(all).startsWith("HTTP/1.1 200").contains("connection: close").endsWith("{\"got\":42}");
        }
    }

    @Test
    void an_http_1_0_caller_gets_the_answer_and_the_close() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write("POST /v2/models/m/infer HTTP/1.0\r\nContent-Length: 1\r\n\r\n7"
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(readToEnd(s)).contains(" 200 ").endsWith("{\"got\":7}");
        }
    }

    @Test
    void an_http_1_0_caller_asking_to_keep_the_connection_is_told_it_stays() throws IOException {
        try (Socket s = connect()) {
            String keep = "GET /v2/health/ready HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
            s.getOutputStream().write((keep + "GET /v2/models/nobody/ready HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
                    + "POST /v2/models/m/infer HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n8")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 200").contains("connection: keep-alive");
            assertThat(readAnswer(in)).startsWith("HTTP/1.1 404").contains("connection: keep-alive");
            assertThat(readAnswer(in)).contains(" 200 ").contains("connection: keep-alive").endsWith("{\"got\":8}");
        }
    }

    @Test
    void an_absolute_form_target_is_routed_by_its_path() throws IOException {
        try (Socket s = connect()) {
            s.getOutputStream().write(("POST http://gw.example/v2/models/m/infer HTTP/1.1\r\nHost: gw.example\r\n"
                    + "Content-Length: 1\r\n\r\n5").getBytes(StandardCharsets.US_ASCII));
            assertThat(readAnswer(s.getInputStream())).startsWith("HTTP/1.1 200").endsWith("{\"got\":5}");
        }
    }

    @Test
    void a_transfer_coding_other_than_chunked_is_refused_and_the_connection_closed() throws IOException {
        // where such a body ends is read differently by different servers: neither guessed nor passed on
        try (Socket s = connect()) {
            s.getOutputStream().write(("POST /v2/models/m/infer HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: gzip\r\n\r\n"
                    + infer("1", "")).getBytes(StandardCharsets.US_ASCII));
            String all = readToEnd(s);
            assertThat(all).startsWith("HTTP/1.1 501").contains("application/problem+json")
                    .contains("Transfer-Encoding 'gzip': only 'chunked' is taken");
            assertThat(all).as("the bytes after it are not served as a request").doesNotContain("\"got\"");
        }
        try (Socket s = connect()) {
            s.getOutputStream().write(("POST /v2/models/m/infer HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
                    + "1\r\nx\r\n0\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(readToEnd(s)).as("chunked not last: 501 here, or 400 from the decoder, which refuses it too")
                    .containsPattern("^HTTP/1.1 (400|501) ");
        }
    }

    @Test
    void an_upload_the_replica_answered_before_it_ended_is_read_to_its_end_and_the_connection_goes_on() throws Exception {
        try (java.net.ServerSocket early = new java.net.ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            // a replica that answers after the head without reading the body (as a server refusing an upload would),
            // then reads whatever comes until the gateway closes the connection
            pool.execute(() -> {
                try (Socket r = early.accept()) {
                    InputStream in = r.getInputStream();
                    String head = "";
                    while (!head.endsWith("\r\n\r\n")) {
                        head += (char) in.read();
                    }
                    Thread.sleep(500); // meanwhile the upload fills the buffers, and the gateway stops reading it
                    r.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nContent-Length: 13\r\n\r\nrefused early"
                            .getBytes(StandardCharsets.US_ASCII));
                    in.transferTo(OutputStream.nullOutputStream());
                } catch (IOException e) {
                    // the gateway went away
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            router.register("early", RoutingPolicy.of(0));
            router.setEndpoints("early", List.of(Endpoint.of("e1", URI.create("http://127.0.0.1:" + early.getLocalPort() + "/"))));
            try (Socket s = connect()) {
                OutputStream out = s.getOutputStream();
                out.write("POST /models/early/proxy/upload HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                // 48 MiB in chunks, far more than the sockets between caller, gateway and replica hold
                CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
                    byte[] chunk = ("10000\r\n" + "x".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    try {
                        for (int i = 0; i < 768; i++) {
                            out.write(chunk);
                        }
                        out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, pool);
                assertThat(readAnswer(s.getInputStream())).startsWith("HTTP/1.1 400").endsWith("refused early");
                sent.get(20, TimeUnit.SECONDS); // the rest of the upload is read (and dropped), not left blocked
                out.write("GET /v2/health/live HTTP/1.1\r\nHost: gw\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(readAnswer(s.getInputStream())).as("the connection takes its next request").startsWith("HTTP/1.1 200");
            } finally {
                router.unregister("early");
            }
        }
    }
}
