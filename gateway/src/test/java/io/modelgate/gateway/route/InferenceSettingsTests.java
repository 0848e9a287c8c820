package io.modelgate.gateway.route;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.restassured.RestAssured;
import io.restassured.http.ContentType;
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
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.containsString;

/**
 * The data plane's settings: inference auth by token, the replica timeout, the bounded wait for a pooled connection,
 * and the one retry of a request that met a kept-alive connection the replica had closed. The replicas are real HTTP
 * servers started by the test; one event loop, so that consecutive calls share one connection pool. Each test runs on
 * the main port ({@link InferenceSettingsMainPortTest}) and on the inference port
 * ({@link InferenceSettingsInferencePortTest}), whose servers differ.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
abstract class InferenceSettingsTests {
    public static class Settings implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("modelgate.inference.auth", "token", "modelgate.inference.timeout", "3s",
                    "modelgate.inference.connection-wait", "300ms", "modelgate.inference.connections-per-replica", "1",
                    "quarkus.http.io-threads", "1", "modelgate.inference.max-body-bytes", "100000");
        }
    }

    private static final String TOKEN = "Bearer test-token"; // %test.modelgate.token

    @Inject
    Router router;

    private HttpServer replica;
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private final CountDownLatch release = new CountDownLatch(1);
    private final CountDownLatch holding = new CountDownLatch(1);

    /** The main port, where the metrics are. */
    int mainPort;

    @BeforeEach
    void startReplica() throws IOException {
        mainPort = RestAssured.port;
        replica = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        replica.setExecutor(pool);
        replica.createContext("/m/infer", exchange -> {
            String body;
            try {
                body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                seen.put("body broke", String.valueOf(e));
                throw e;
            }
            seen.put("authorization", String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
            if (body.contains("hold")) {
                holding.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] out = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        replica.start();
        router.register("m", RoutingPolicy.of(0));
        router.setEndpoints("m", List.of(Endpoint.of("r1", URI.create("http://127.0.0.1:" + replica.getAddress().getPort() + "/m/"))));
    }

    @AfterEach
    void stopReplica() {
        release.countDown();
        router.unregister("m");
        router.unregister("raw");
        replica.stop(0);
        pool.shutdownNow();
    }

    @Test
    void a_body_over_the_limit_gets_413_and_never_reaches_the_replica() {
        // with a Content-Length: refused before a replica is chosen
        given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("x".repeat(100_001))
                .when().post("/v2/models/m/infer").then().statusCode(413).contentType("application/problem+json")
                .body("detail", containsString("the request body is 100001 bytes"))
                .body("detail", containsString("100000 bytes (modelgate.inference.max-body-bytes)"));
        assertThat(seen).as("the replica read no body").isEmpty();
        given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("x".repeat(100_000))
                .when().post("/v2/models/m/infer").then().statusCode(200);
    }

    @Test
    void a_streamed_body_is_cut_off_with_413_once_it_passes_the_limit() throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
        // no Content-Length (chunked): counted as it streams to the replica
        java.util.function.IntFunction<java.net.http.HttpResponse<String>> send = size -> {
            try {
                return client.send(java.net.http.HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + io.restassured.RestAssured.port + "/v2/models/m/infer")).header("Authorization", TOKEN)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                                () -> new java.io.ByteArrayInputStream(new byte[size]))).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        };
        java.net.http.HttpResponse<String> over = send.apply(300_000);
        assertThat(over.statusCode()).as(over.body()).isEqualTo(413);
        assertThat(over.body()).contains("grew past the limit as it streamed").contains("modelgate.inference.max-body-bytes");
        // the replica's read of the body broke off (reset, not ended as if complete), and it never answered
        for (int i = 0; i < 100 && !seen.containsKey("body broke"); i++) {
            TimeUnit.MILLISECONDS.sleep(100);
        }
        assertThat(seen).containsKey("body broke").doesNotContainKey("authorization");
        java.net.http.HttpResponse<String> under = send.apply(90_000);
        assertThat(under.statusCode()).as(under.body()).isEqualTo(200);
        assertThat(seen).containsKey("authorization");
    }

    @Test
    void inference_needs_the_token_and_the_token_is_not_passed_to_the_replica() {
        given().contentType(ContentType.JSON).body("{}").when().post("/v2/models/m/infer")
                .then().statusCode(401).contentType("application/problem+json")
                .header("WWW-Authenticate", containsString("Bearer"))
                .body("detail", containsString("Authorization: Bearer"));
        given().header("Authorization", "Bearer wrong").contentType(ContentType.JSON).body("{}")
                .when().post("/v2/models/m/infer").then().statusCode(401);
        given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("{}")
                .when().post("/v2/models/m/infer").then().statusCode(200);
        assertThat(seen).containsEntry("authorization", "null");
        // the gateway's own health needs no token (probes)
        given().when().get("/v2/health/ready").then().statusCode(200);
    }

    @Test
    void refusals_of_a_deployed_model_are_counted_as_rejected_and_made_up_names_get_no_meters() {
        // a model of its own (one per port: both run in one gateway): the other tests' refusals of "m" count too, in
        // whatever order they run
        String counted = "counted-" + getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT);
        router.register(counted, RoutingPolicy.of(0));
        router.setEndpoints(counted, List.of(Endpoint.of("r1", URI.create("http://127.0.0.1:"
                + replica.getAddress().getPort() + "/m/"))));
        try {
            given().contentType(ContentType.JSON).body("{}").when().post("/v2/models/" + counted + "/infer").then().statusCode(401);
            given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("x".repeat(100_001))
                    .when().post("/v2/models/" + counted + "/infer").then().statusCode(413);
            given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("{}")
                    .when().post("/v2/models/" + counted + "/infer").then().statusCode(200);
            given().contentType(ContentType.JSON).body("{}").when().post("/v2/models/made-up/infer").then().statusCode(401);
            String scrape = given().port(mainPort).get("/q/metrics").then().statusCode(200).extract().asString();
            assertThat(scrape).contains("modelgate_requests_total{model=\"" + counted + "\",outcome=\"rejected\"} 2.0")
                    .contains("modelgate_requests_total{model=\"" + counted + "\",outcome=\"served\"} 1.0")
                    .doesNotContain("made-up");
        } finally {
            router.unregister(counted);
        }
    }

    @Test
    void a_replica_silent_past_the_timeout_gives_504() {
        long start = System.nanoTime();
        given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("\"hold\"")
                .when().post("/v2/models/m/infer").then().statusCode(504).contentType("application/problem+json")
                .body("detail", containsString("modelgate.inference.timeout"));
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(2_900L, 9_000L);
    }

    @Test
    void a_call_waits_a_bounded_time_for_a_pooled_connection_then_gets_503() throws Exception {
        Future<Integer> held = pool.submit(() -> given().header("Authorization", TOKEN).contentType(ContentType.JSON)
                .body("\"hold\"").post("/v2/models/m/infer").statusCode());
        assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        // containerConcurrency 0 (no router limit): the only connection is busy, so the wait is the pool's
        given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("{}")
                .when().post("/v2/models/m/infer").then().statusCode(503).header("Retry-After", "1")
                .body("detail", containsString("no connection to replica r1 came free within 300 ms"));
        release.countDown();
        assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(200);
    }

    @Test
    void a_request_meeting_a_connection_closed_on_reuse_is_sent_again_once_and_a_fresh_one_closed_is_not()
            throws Exception {
        // stands in for the race of a replica closing an idle kept-alive connection just as the gateway reuses it
        try (RawReplica raw = new RawReplica(RawReplica::answerFirstOnly)) {
            route("raw", "r2", raw);
            for (int i = 0; i < 2; i++) {
                given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("{\"i\":" + i + "}")
                        .when().post("/v2/models/raw/infer").then().statusCode(200);
            }
            // 1st on connection A; 2nd on A again (closed unanswered), then once more on a new connection B
            assertThat(raw.requests.get()).isEqualTo(3);
        }
        try (RawReplica raw = new RawReplica((replica, in, out) -> {
            replica.readRequest(in);
            // closed without an answer
        })) {
            route("raw", "r3", raw);
            given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("{}")
                    .when().post("/v2/models/raw/infer").then().statusCode(502).contentType("application/problem+json")
                    .body("detail", containsString("closed the connection before answering"));
            // a fresh connection closed unanswered may have been processed: it is not sent again
            assertThat(raw.requests.get()).isEqualTo(1);
        }
    }

    @Test
    void a_request_passed_on_to_a_second_replica_carries_the_callers_own_forwarded_headers() throws Exception {
        // replica A answers once, stops listening, and closes its kept-alive connection unanswered at the next
        // request: the retry on a new connection is refused, so the router passes the request on to replica B
        try (RawReplica a = new RawReplica((replica, in, out) -> {
            if (replica.readRequest(in) >= 0) {
                out.write(RawReplica.OK);
                out.flush();
                replica.server.close();
                replica.readRequest(in);
            }
        }); RawReplica b = new RawReplica((replica, in, out) -> {
            replica.readRequest(in);
            out.write(RawReplica.OK);
            out.flush();
        })) {
            router.register("two", RoutingPolicy.of(0));
            // A's revision takes all the traffic while it can; B's (weight 0) only what A cannot
            router.setEndpoints("two", List.of(Endpoint.of("a", URI.create("http://127.0.0.1:" + a.port() + "/raw/"), 1),
                    Endpoint.of("b", URI.create("http://127.0.0.1:" + b.port() + "/raw/"), 2)));
            router.setWeights("two", Map.of(1, 100, 2, 0));
            for (int i = 0; i < 2; i++) {
                given().header("Authorization", TOKEN).header("Host", "gw.example:8080")
                        .header("X-Forwarded-For", "10.9.9.9").contentType(ContentType.JSON).body("{}")
                        .when().post("/v2/models/two/infer").then().statusCode(200);
            }
            assertThat(a.requests.get()).as("A: the first request, then the second, unanswered").isEqualTo(2);
            assertThat(b.requests.get()).isEqualTo(1);
            assertThat(b.lastHead.toLowerCase()).contains("x-forwarded-host: gw.example:8080\r\n")
                    .contains("x-forwarded-for: 10.9.9.9, 127.0.0.1\r\n")
                    .contains("host: 127.0.0.1:" + b.port() + "\r\n").doesNotContain("authorization");
        } finally {
            router.unregister("two");
        }
    }

    @Test
    void consecutive_calls_share_one_kept_alive_connection() throws Exception {
        try (RawReplica raw = new RawReplica((replica, in, out) -> {
            while (replica.readRequest(in) >= 0) {
                out.write(RawReplica.OK);
                out.flush();
            }
        })) {
            route("raw", "r4", raw);
            for (int i = 0; i < 5; i++) {
                given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("{}")
                        .when().post("/v2/models/raw/infer").then().statusCode(200);
            }
            assertThat(raw.requests.get()).isEqualTo(5);
            assertThat(raw.connections.get()).isEqualTo(1);
        }
    }

    @Test
    void an_answer_broken_off_before_any_of_it_was_passed_on_gets_502() throws Exception {
        try (RawReplica raw = new RawReplica((replica, in, out) -> {
            replica.readRequest(in);
            out.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        })) {
            route("raw", "r5", raw);
            given().header("Authorization", TOKEN).contentType(ContentType.JSON).body("{}")
                    .when().post("/v2/models/raw/infer").then().statusCode(502).contentType("application/problem+json")
                    .body("detail", containsString("replica r5 broke off its answer"));
        }
    }

    @Test
    void an_answer_broken_off_while_streaming_never_looks_complete_to_the_caller() throws Exception {
        try (RawReplica raw = new RawReplica((replica, in, out) -> {
            replica.readRequest(in);
            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
        })) {
            route("raw", "r6", raw);
            String received = rawCall("POST /v2/models/raw/infer HTTP/1.1\r\nHost: gw\r\nAuthorization: " + TOKEN
                    + "\r\nContent-Length: 2\r\n\r\n{}", s -> { });
            assertThat(received).startsWith("HTTP/1.1 200").contains("first")
                    .as("no last chunk: the caller cannot take the cut answer for complete").doesNotContain("\r\n0\r\n\r\n");
        }
    }

    @Test
    void a_caller_leaving_mid_answer_closes_the_call_to_the_replica() throws Exception {
        CountDownLatch replicaSawClose = new CountDownLatch(1);
        try (RawReplica raw = new RawReplica((replica, in, out) -> {
            replica.readRequest(in);
            out.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            out.write("d\r\ndata: one\n\n\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            if (in.read() < 0) { // nothing more comes from the gateway: this waits for its end of the connection
                replicaSawClose.countDown();
            }
        })) {
            route("raw", "r7", raw);
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), io.restassured.RestAssured.port)) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(("GET /models/raw/proxy/events HTTP/1.1\r\nHost: gw\r\nAuthorization: "
                        + TOKEN + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                String seenSoFar = "";
                while (!seenSoFar.contains("data: one")) {
                    seenSoFar += (char) s.getInputStream().read();
                }
            } // the caller hangs up with the stream still open
            assertThat(replicaSawClose.await(10, TimeUnit.SECONDS))
                    .as("the gateway closed its connection to the replica").isTrue();
        }
    }

    @Test
    void a_streamed_upload_slower_than_the_timeout_is_not_cut_off_while_it_keeps_sending() throws Exception {
        // modelgate.inference.timeout is 3 s; the body takes about 4 s to arrive, a piece every 0.8 s
        String answer = rawCall("POST /v2/models/m/infer HTTP/1.1\r\nHost: gw\r\nAuthorization: " + TOKEN
                + "\r\nTransfer-Encoding: chunked\r\n\r\n", s -> {
            OutputStream upload = s.getOutputStream();
            for (int i = 0; i < 5; i++) {
                upload.write("2\r\n{}\r\n".getBytes(StandardCharsets.US_ASCII));
                upload.flush();
                TimeUnit.MILLISECONDS.sleep(800);
            }
            upload.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            upload.flush();
        });
        assertThat(answer).startsWith("HTTP/1.1 200").contains("{\"ok\":true}");
    }

    private void route(String model, String replicaId, RawReplica raw) {
        router.register(model, RoutingPolicy.of(0));
        router.setEndpoints(model, List.of(Endpoint.of(replicaId, URI.create("http://127.0.0.1:" + raw.port() + "/raw/"))));
    }

    /** Sends {@code head} on a new connection to the gateway, then runs {@code then}; answers all it reads until the end. */
    private static String rawCall(String head, SocketAction then) throws Exception {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), io.restassured.RestAssured.port)) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            then.run(s);
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            try {
                for (int n; (n = s.getInputStream().read(buffer)) > 0; ) {
                    received.write(buffer, 0, n);
                    if (received.toString(StandardCharsets.US_ASCII).contains("{\"ok\":true}")) {
                        break;
                    }
                }
            } catch (java.net.SocketException reset) {
                // a reset connection ends what the caller gets
            }
            return received.toString(StandardCharsets.US_ASCII);
        }
    }

    private interface SocketAction {
        void run(Socket s) throws Exception;
    }

    /** A minimal HTTP/1.1 server that serves each connection by a script; counts connections and requests. */
    private static final class RawReplica implements AutoCloseable {
        static final byte[] OK = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                .getBytes(StandardCharsets.US_ASCII);
        final ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        final AtomicInteger connections = new AtomicInteger();
        final AtomicInteger requests = new AtomicInteger();
        final ExecutorService threads = Executors.newCachedThreadPool();

        interface Script {
            void serve(RawReplica replica, InputStream in, OutputStream out) throws IOException;
        }

        RawReplica(Script script) throws IOException {
            threads.execute(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        connections.incrementAndGet();
                        threads.execute(() -> {
                            try (s) {
                                script.serve(this, s.getInputStream(), s.getOutputStream());
                            } catch (IOException e) {
                                // the gateway went away
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
        }

        /** Answers the first request on each connection and closes the connection at the second, unanswered. */
        static void answerFirstOnly(RawReplica replica, InputStream in, OutputStream out) throws IOException {
            if (replica.readRequest(in) >= 0) {
                out.write(OK);
                out.flush();
                replica.readRequest(in);
            }
        }

        int port() {
            return server.getLocalPort();
        }

        /** The head of the last request read. */
        volatile String lastHead = "";

        /** Reads one request (a head and its Content-Length of body) and counts it; -1 at the end of the stream. */
        int readRequest(InputStream in) throws IOException {
            int length = readHead(in);
            if (length >= 0) {
                in.readNBytes(length);
                requests.incrementAndGet();
            }
            return length;
        }

        private int readHead(InputStream in) throws IOException {
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            int b;
            while ((b = in.read()) != -1) {
                head.write(b);
                String h = head.toString(StandardCharsets.US_ASCII);
                if (h.endsWith("\r\n\r\n")) {
                    lastHead = h;
                    for (String line : h.split("\r\n")) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            return Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    return 0;
                }
            }
            return -1;
        }

        @Override
        public void close() throws IOException {
            server.close();
            threads.shutdownNow();
        }
    }
}
