package io.modelgate.gateway.route;

import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
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
import static org.hamcrest.Matchers.equalTo;

/** The inference path over HTTP: through the router to a stand-in replica (a JDK HTTP server), and its metrics. */
@QuarkusTest
class InferenceRoutesTest {
    @Inject
    Router router;

    private HttpServer replica;
    private final CountDownLatch holding = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService pool = Executors.newCachedThreadPool();

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
        replica.start();
    }

    @AfterEach
    void stopReplica() {
        release.countDown();
        router.unregister("echo");
        router.unregister("dead");
        replica.stop(0);
        pool.shutdownNow();
    }

    private Endpoint endpoint() {
        return Endpoint.of("r1", URI.create("http://127.0.0.1:" + replica.getAddress().getPort() + "/v2/models/echo/"));
    }

    @Test
    void proxies_to_a_replica_and_counts_the_request() {
        router.register("echo", RoutingPolicy.of(0));
        router.setEndpoints("echo", List.of(endpoint()));
        given().contentType(ContentType.JSON).body("{\"inputs\":[]}").when().post("/v2/models/echo/infer")
                .then().statusCode(200).body("model_name", equalTo("echo")).body("got.inputs.size()", equalTo(0));
        given().when().get("/q/metrics").then().statusCode(200)
                .body(containsString("modelgate_requests_total{model=\"echo\",outcome=\"served\"}"))
                .body(containsString("modelgate_request_duration_seconds_bucket{model=\"echo\""));
    }

    @Test
    void answers_503_with_retry_after_when_the_model_is_at_capacity() throws Exception {
        router.register("echo", RoutingPolicy.of(1).withQueue(0, Duration.ofSeconds(1)));
        router.setEndpoints("echo", List.of(endpoint()));
        Future<Integer> held = pool.submit(() -> given().contentType(ContentType.JSON).body("\"hold\"")
                .post("/v2/models/echo/infer").statusCode());
        org.assertj.core.api.Assertions.assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        given().contentType(ContentType.JSON).body("{}").when().post("/v2/models/echo/infer")
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
        Future<Integer> held = pool.submit(() -> given().contentType(ContentType.JSON).body("\"hold\"")
                .post("/v2/models/echo/infer").statusCode());
        org.assertj.core.api.Assertions.assertThat(holding.await(10, TimeUnit.SECONDS)).isTrue();
        Future<String> queued = pool.submit(() -> given().contentType(ContentType.JSON).body("{\"queued\":1}")
                .post("/v2/models/echo/infer").then().statusCode(200).extract().asString());
        for (int i = 0; i < 500 && router.stats("echo").orElseThrow().waiting() < 1; i++) {
            TimeUnit.MILLISECONDS.sleep(5);
        }
        org.assertj.core.api.Assertions.assertThat(router.stats("echo").orElseThrow().waiting()).isEqualTo(1);
        release.countDown();
        org.assertj.core.api.Assertions.assertThat(held.get(10, TimeUnit.SECONDS)).isEqualTo(200);
        org.assertj.core.api.Assertions.assertThat(queued.get(10, TimeUnit.SECONDS)).contains("\"queued\":1");
        org.assertj.core.api.Assertions.assertThat(router.stats("echo").orElseThrow())
                .isEqualTo(new Router.PoolStats(1, 1, 0, 0));
    }

    @Test
    void answers_502_when_no_replica_accepts_the_connection() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        router.register("dead", RoutingPolicy.of(0));
        router.setEndpoints("dead", List.of(Endpoint.of("gone", URI.create("http://127.0.0.1:" + closedPort + "/v2/models/dead/"))));
        given().contentType(ContentType.JSON).body("{}").when().post("/v2/models/dead/infer")
                .then().statusCode(502).contentType("application/problem+json")
                .body("detail", containsString("no replica of model 'dead' accepted the connection"));
    }

    @Test
    void answers_404_for_a_model_not_deployed() {
        given().contentType(ContentType.JSON).body("{}").when().post("/v2/models/nope/infer")
                .then().statusCode(404).contentType("application/problem+json")
                .body("detail", containsString("no model 'nope' is deployed"));
    }
}
