package io.modelgate.gateway.route;

import com.sun.net.httpserver.HttpServer;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

/**
 * The data plane over HTTP: through the router to a replica that is a real HTTP server started by the test (a JDK
 * HttpServer registered as the model's endpoint), and its metrics; streaming is checked in both directions with pauses.
 * Run on the main port ({@link InferenceRoutesTest}) and on the inference port ({@link InferencePortTest}).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
abstract class DataPlaneTests {
    @Inject
    Router router;

    private HttpServer replica;
    private final CountDownLatch holding = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private final Map<String, String> seen = new ConcurrentHashMap<>();
    private final CountDownLatch firstEventSeen = new CountDownLatch(1);
    private final AtomicBoolean firstEventSeenBeforeLast = new AtomicBoolean();
    private final CountDownLatch firstPartArrived = new CountDownLatch(1);

    @BeforeEach
    void startReplica() throws IOException {
        replica = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        replica.setExecutor(pool);
        replica.createContext("/v2/models/echo/infer", exchange -> {
            byte[] in = exchange.getRequestBody().readAllBytes();
            if (new String(in, StandardCharsets.UTF_8).contains("hold")) {
                holding.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            byte[] out = ("{\"model_name\":\"echo\",\"got\":" + new String(in, StandardCharsets.UTF_8) + "}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        replica.createContext("/v2/models/echo", exchange -> {
            byte[] out = ("{\"name\":\"echo\",\"platform\":\"test\",\"method\":\"" + exchange.getRequestMethod()
                    + "\",\"path\":\"" + exchange.getRequestURI().getRawPath() + "\"}").getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        replica.createContext("/custom", exchange -> {
            seen.put("method", exchange.getRequestMethod());
            seen.put("path", exchange.getRequestURI().getRawPath());
            seen.put("query", String.valueOf(exchange.getRequestURI().getRawQuery()));
            exchange.getRequestHeaders().forEach((k, v) -> seen.put("header " + k.toLowerCase(), String.join(",", v)));
            seen.put("body", new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] out = "made".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("X-Replica", "yes");
            exchange.getResponseHeaders().add("Content-Type", "text/plain");
            exchange.sendResponseHeaders(201, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        replica.createContext("/events", exchange -> {
            exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0); // chunked
            OutputStream out = exchange.getResponseBody();
            out.write("data: one\n\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                // the last event is sent only once the caller has seen the first (or after 10 s, failing the test)
                firstEventSeenBeforeLast.set(firstEventSeen.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            out.write("data: two\n\n".getBytes(StandardCharsets.UTF_8));
            out.close();
        });
        replica.createContext("/upload", exchange -> {
            InputStream in = exchange.getRequestBody();
            byte[] first = new byte[5];
            // read() rather than readNBytes: the latter asks for 0 more bytes, which waits for the next chunk
            for (int n = 0, r; n < first.length && (r = in.read(first, n, first.length - n)) > 0; n += r) {
            }
            seen.put("first", new String(first, StandardCharsets.UTF_8));
            firstPartArrived.countDown();
            byte[] rest = in.readAllBytes();
            byte[] out = ("got " + (first.length + rest.length) + " bytes").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, out.length);
            exchange.getResponseBody().write(out);
            exchange.close();
        });
        replica.start();
    }

    @AfterEach
    void stopReplica() {
        release.countDown();
        firstEventSeen.countDown();
        router.unregister("echo");
        router.unregister("idle");
        router.unregister("dead");
        replica.stop(0);
        pool.shutdownNow();
    }

    /** The port the data-plane calls go to. */
    abstract int dataPort();

    private io.restassured.specification.RequestSpecification call() {
        return given().port(dataPort());
    }

    /** The model "echo", routed to the test's replica with no concurrency limit. */
    private void routeToReplica() {
        router.register("echo", RoutingPolicy.of(0));
        router.setEndpoints("echo", List.of(endpoint()));
    }

    private Endpoint endpoint() {
        return Endpoint.of("r1", URI.create("http://127.0.0.1:" + replica.getAddress().getPort() + "/v2/models/echo/"));
    }

    @Test
    void proxies_to_a_replica_and_counts_the_request() {
        routeToReplica();
        call().contentType(ContentType.JSON).body("{\"inputs\":[]}").when().post("/v2/models/echo/infer")
                .then().statusCode(200).body("model_name", equalTo("echo")).body("got.inputs.size()", equalTo(0));
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("modelgate_requests_total{model=\"echo\",outcome=\"served\"}"))
                .body(containsString("modelgate_request_duration_seconds_bucket{model=\"echo\""));
    }

    @Test
    void answers_503_with_retry_after_when_the_model_is_at_capacity() throws Exception {
        router.register("echo", RoutingPolicy.of(1).withQueue(0, Duration.ofSeconds(1)));
        router.setEndpoints("echo", List.of(endpoint()));
        Future<Integer> held = pool.submit(() -> call().contentType(ContentType.JSON).body("\"hold\"")
                .post("/v2/models/echo/infer").statusCode());
        org.assertj.core.api.Assertions.assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        call().contentType(ContentType.JSON).body("{}").when().post("/v2/models/echo/infer")
                .then().statusCode(503).contentType("application/problem+json").header("Retry-After", "1")
                .body("detail", containsString("model 'echo' is at capacity"));
        release.countDown();
        org.assertj.core.api.Assertions.assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        given().when().get("/q/metrics").then()
                .body(containsString("modelgate_requests_total{model=\"echo\",outcome=\"overloaded\"}"));
    }

    @Test
    void serves_a_request_that_waited_in_the_queue_once_the_replica_is_free() throws Exception {
        router.register("echo", RoutingPolicy.of(1).withQueue(1, Duration.ofSeconds(10)));
        router.setEndpoints("echo", List.of(endpoint()));
        Future<Integer> held = pool.submit(() -> call().contentType(ContentType.JSON).body("\"hold\"")
                .post("/v2/models/echo/infer").statusCode());
        org.assertj.core.api.Assertions.assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        Future<String> queued = pool.submit(() -> call().contentType(ContentType.JSON).body("{\"queued\":1}")
                .post("/v2/models/echo/infer").then().statusCode(200).extract().asString());
        for (int i = 0; i < 500 && router.stats("echo").orElseThrow().waiting() < 1; i++) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        org.assertj.core.api.Assertions.assertThat(router.stats("echo").orElseThrow().waiting()).isEqualTo(1);
        release.countDown();
        org.assertj.core.api.Assertions.assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        org.assertj.core.api.Assertions.assertThat(queued.get(10, TimeUnit.SECONDS)).contains("\"queued\":1");
        // the slot is released once the answer is passed on, which may be just after the caller has it
        for (int i = 0; i < 500 && router.stats("echo").orElseThrow().inFlight() > 0; i++) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        org.assertj.core.api.Assertions.assertThat(router.stats("echo").orElseThrow())
                .isEqualTo(new Router.PoolStats(1, 1, 0, 0));
    }

    @Test
    void counts_each_revisions_answers_by_status_class() {
        router.register("echo", RoutingPolicy.of(0).withReplicaTimeout(Duration.ofMillis(500)));
        router.setEndpoints("echo", List.of(Endpoint.of("r7", endpoint().base(), 7)));
        String ok = "modelgate_revision_requests_total{code_class=\"2xx\",model=\"echo\",revision=\"7\"}";
        String failed = "modelgate_revision_requests_total{code_class=\"5xx\",model=\"echo\",revision=\"7\"}";
        double okBefore = metric(ok);
        double failedBefore = metric(failed);

        call().contentType(ContentType.JSON).body("{}").when().post("/v2/models/echo/infer").then().statusCode(200);
        call().body("hi").when().put("/models/echo/proxy/custom").then().statusCode(201);
        call().contentType(ContentType.JSON).body("\"hold\"").when().post("/v2/models/echo/infer").then().statusCode(504);

        assertThat(metric(ok) - okBefore).isEqualTo(2.0);
        assertThat(metric(failed) - failedBefore).as("the timeout the caller got").isEqualTo(1.0);
    }

    /** A series' value scraped from the main port's /q/metrics; 0 while it does not exist. */
    private static double metric(String series) {
        return given().when().get("/q/metrics").then().statusCode(200).extract().asString().lines()
                .filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
                .findFirst().orElse(0.0);
    }

    @Test
    void a_deployments_own_timeout_overrides_the_gateways() {
        // the gateway's modelgate.inference.timeout is 60 s here; the model's own is 1 s
        router.register("echo", RoutingPolicy.of(0).withReplicaTimeout(Duration.ofSeconds(1)));
        router.setEndpoints("echo", List.of(endpoint()));
        long start = System.nanoTime();
        call().contentType(ContentType.JSON).body("\"hold\"").when().post("/v2/models/echo/infer")
                .then().statusCode(504).contentType("application/problem+json")
                .body("detail", containsString("the replica sent nothing for 1000 ms (the deployment's timeout)"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(9));
    }

    @Test
    void answers_502_when_no_replica_accepts_the_connection() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        router.register("dead", RoutingPolicy.of(0));
        router.setEndpoints("dead", List.of(Endpoint.of("gone", URI.create("http://127.0.0.1:" + closedPort + "/v2/models/dead/"))));
        call().contentType(ContentType.JSON).body("{}").when().post("/v2/models/dead/infer")
                .then().statusCode(502).contentType("application/problem+json")
                .body("detail", containsString("no replica of model 'dead' accepted the connection"));
    }

    private String gateway() {
        return "http://127.0.0.1:" + dataPort();
    }

    @Test
    void model_metadata_comes_from_a_replica() {
        routeToReplica();
        call().when().get("/v2/models/echo").then().statusCode(200)
                .body("name", equalTo("echo")).body("method", equalTo("GET")).body("path", equalTo("/v2/models/echo"));
    }

    @Test
    void model_ready_is_200_with_a_replica_503_without_and_404_when_not_deployed() {
        routeToReplica();
        router.register("idle", RoutingPolicy.of(0));
        call().when().get("/v2/models/echo/ready").then().statusCode(200);
        call().when().get("/v2/models/idle/ready").then().statusCode(503).contentType("application/problem+json")
                .header("Retry-After", "5").body("detail", containsString("model 'idle' has no ready replica"));
        // asking is not a request: it neither queues nor wakes the model
        assertThat(router.stats("idle").orElseThrow()).isEqualTo(new Router.PoolStats(0, 0, 0, 0));
        call().when().get("/v2/models/nope/ready").then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void the_gateway_reports_itself_live_and_ready() {
        call().when().get("/v2/health/live").then().statusCode(200);
        call().when().get("/v2/health/ready").then().statusCode(200);
    }

    @Test
    void the_openapi_document_lists_the_inference_paths() {
        given().accept("application/json").when().get("/q/openapi").then().statusCode(200)
                .body("paths.'/v2/models/{name}/infer'.post.summary", containsString("Run inference"))
                .body("paths.'/v2/models/{name}/ready'.get", org.hamcrest.Matchers.notNullValue())
                .body("paths.'/v2/health/live'.get", org.hamcrest.Matchers.notNullValue())
                .body("paths.'/models/{name}/proxy/{path}'.put", org.hamcrest.Matchers.notNullValue())
                .body("paths.'/models'.post", org.hamcrest.Matchers.notNullValue());
    }

    @Test
    void infer_takes_only_post() {
        call().when().get("/v2/models/echo/infer").then().statusCode(405).header("Allow", "POST")
                .contentType("application/problem+json");
    }

    @Test
    void proxy_passes_method_path_query_and_end_to_end_headers_and_the_answer_back() throws IOException {
        routeToReplica();
        // a raw request, so that the hop-by-hop headers are exactly what a client may send
        String answer;
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), dataPort())) {
            s.getOutputStream().write(("PUT /models/echo/proxy/custom/a%20b?x=1&y=%2F HTTP/1.1\r\nHost: gw\r\n"
                    + "Connection: close, X-Drop\r\nX-Drop: secret\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\n"
                    + "X-Trace: t1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello")
                    .getBytes(StandardCharsets.UTF_8));
            s.setSoTimeout(10_000);
            answer = readAnswer(s.getInputStream());
        }
        assertThat(answer).startsWith("HTTP/1.1 201").containsIgnoringCase("x-replica: yes").endsWith("made");
        assertThat(seen).containsEntry("method", "PUT").containsEntry("path", "/custom/a%20b")
                .containsEntry("query", "x=1&y=%2F").containsEntry("body", "hello")
                .containsEntry("header x-trace", "t1").containsEntry("header x-forwarded-for", "127.0.0.1")
                .containsEntry("header x-forwarded-host", "gw").containsEntry("header x-forwarded-proto", "http")
                .doesNotContainKeys("header x-drop", "header keep-alive", "header te");
    }

    @Test
    void routes_on_the_normalised_path_and_passes_that_on() throws IOException {
        routeToReplica();
        assertThat(rawCall("POST /v2/models/ech%6F/./infer", "{}")).startsWith("HTTP/1.1 200").endsWith("\"got\":{}}");
        assertThat(rawCall("PUT /models/other/proxy/../../echo/proxy/x/../custom//%61b%20c?q=%2e", "hi"))
                .startsWith("HTTP/1.1 201");
        assertThat(seen).containsEntry("path", "/custom//ab%20c").containsEntry("query", "q=%2e");
    }

    @Test
    void answers_a_malformed_escape_with_400() throws IOException {
        routeToReplica();
        // the data plane passes it on as it came: on the main port Vert.x Web's router refuses it before any route,
        // on the inference port the replica (the JDK's server here) does
        assertThat(rawCall("PUT /models/echo/proxy/custom/100%/%zz/%2", "hi")).startsWith("HTTP/1.1 400");
    }

    /** One request on its own connection, written as given (no client normalises its path); the answer. */
    private String rawCall(String requestLine, String body) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), dataPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write((requestLine + " HTTP/1.1\r\nHost: gw\r\nConnection: close\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            return readAnswer(s.getInputStream());
        }
    }

    @Test
    void a_refusal_that_leaves_the_body_unread_closes_the_connection() throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), dataPort())) {
            // a long body announced, one byte of it sent: the gateway answers without reading the rest
            s.getOutputStream().write(("POST /v2/models/nope/infer HTTP/1.1\r\nHost: gw\r\nContent-Type: "
                    + "application/json\r\nContent-Length: 1000000\r\n\r\n{").getBytes(StandardCharsets.UTF_8));
            s.setSoTimeout(10_000);
            assertThat(readAnswer(s.getInputStream())).startsWith("HTTP/1.1 404").containsIgnoringCase("connection: close");
            assertThat(s.getInputStream().read()).as("the gateway closed the connection after its answer").isEqualTo(-1);
        }
    }

    @Test
    void a_caller_expecting_100_continue_is_told_to_send_its_body() throws IOException {
        routeToReplica();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), dataPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write(("POST /v2/models/echo/infer HTTP/1.1\r\nHost: gw\r\nContent-Type: "
                    + "application/json\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            // the body is sent only once the gateway says so (a client such as curl would wait a second otherwise)
            assertThat(readAnswer(s.getInputStream())).startsWith("HTTP/1.1 100");
            s.getOutputStream().write("{}".getBytes(StandardCharsets.UTF_8));
            assertThat(readAnswer(s.getInputStream())).startsWith("HTTP/1.1 200").endsWith("\"got\":{}}");
        }
    }

    @Test
    void the_proxy_path_refuses_connect() throws IOException {
        routeToReplica();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), dataPort())) {
            s.setSoTimeout(10_000);
            s.getOutputStream().write("CONNECT /models/echo/proxy/custom HTTP/1.1\r\nHost: gw\r\n\r\n"
                    .getBytes(StandardCharsets.UTF_8));
            assertThat(readAnswer(s.getInputStream())).startsWith("HTTP/1.1 405").containsIgnoringCase("allow: GET, HEAD, POST");
        }
        assertThat(seen).as("the replica saw nothing").isEmpty();
    }

    /** Reads one HTTP/1.1 answer with a Content-Length: the head and that many bytes. */
    private static String readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    @Test
    void server_sent_events_reach_the_caller_as_the_replica_sends_them() throws Exception {
        routeToReplica();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<Stream<String>> response = client.send(HttpRequest.newBuilder(URI.create(gateway()
                + "/models/echo/proxy/events")).build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        Iterator<String> lines = response.body().iterator();
        assertThat(lines.next()).isEqualTo("data: one");
        firstEventSeen.countDown();
        StringBuilder rest = new StringBuilder();
        lines.forEachRemaining(l -> rest.append(l).append('\n'));
        assertThat(rest.toString()).contains("data: two");
        assertThat(firstEventSeenBeforeLast).as("the first event reached the caller before the last was sent").isTrue();
    }

    @Test
    void a_request_body_is_streamed_to_the_replica_as_it_arrives() throws Exception {
        routeToReplica();
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), dataPort())) {
            s.setSoTimeout(10_000);
            OutputStream upload = s.getOutputStream();
            // no length: the body goes chunked, as the caller writes it
            upload.write(("POST /models/echo/proxy/upload HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5\r\npart1\r\n").getBytes(StandardCharsets.UTF_8));
            upload.flush();
            assertThat(firstPartArrived.await(10, TimeUnit.SECONDS))
                    .as("the replica got the first part before the caller sent the rest").isTrue();
            upload.write("e\r\npart2-and-more\r\n0\r\n\r\n".getBytes(StandardCharsets.UTF_8));
            upload.flush();
            String answer = readAnswer(s.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 200").endsWith("got 19 bytes");
        }
        assertThat(seen).containsEntry("first", "part1");
    }

    @Test
    void answers_404_for_a_model_not_deployed() {
        call().contentType(ContentType.JSON).body("{}").when().post("/v2/models/nope/infer")
                .then().statusCode(404).contentType("application/problem+json")
                .body("detail", containsString("no model 'nope' is deployed"));
    }
}
