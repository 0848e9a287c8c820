package io.modelgate.loadtest;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** Drives a real HTTP server (the JDK's) with real Hyperfoil benchmarks and reads back the driver's CSV and summary. */
class LoadDriverTest {
    @TempDir
    Path dir;
    private HttpServer server;
    private int port;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 200);
        // one thread: a request that takes 100 ms holds up the next, so the server does at most 10 requests/s
        server.setExecutor(Executors.newSingleThreadExecutor());
        server.createContext("/slow", exchange -> {
            exchange.getRequestBody().readAllBytes();
            sleep(100);
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("{}".getBytes());
            exchange.close();
        });
        server.createContext("/busy", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().add("Retry-After", "1");
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        server.createContext("/ok", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("{}".getBytes());
            exchange.close();
        });
        server.start();
        port = server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    @Test
    void open_model_keeps_sending_at_the_arrival_rate_when_the_server_falls_behind() throws Exception {
        // 20 requests/s for 3 s to a server that does 10/s: a closed-loop client would slow down to 10/s and report
        // ~100 ms latencies (coordinated omission); an open-model one sends all 60 and sees the backlog grow.
        Map<Integer, Map<String, String>> rows = run(IntStream.range(0, 3).mapToObj(s -> phase(s, 20, "/slow")).toList());

        assertThat(rows).containsOnlyKeys(0, 1, 2);
        rows.values().forEach(r -> assertThat(Integer.parseInt(r.get("requests"))).isEqualTo(20));
        rows.values().forEach(r -> assertThat(r.get("status_2xx")).isEqualTo("20"));
        assertThat(Double.parseDouble(rows.get(0).get("p50_ms"))).isLessThan(Double.parseDouble(rows.get(2).get("p50_ms")));
        // the last second's requests queue behind 40 earlier ones at 100 ms each, less the 2 s already elapsed
        assertThat(Double.parseDouble(rows.get(2).get("p50_ms"))).isGreaterThan(1500);
    }

    @Test
    void counts_responses_by_status_class_per_second_and_in_the_summary() throws Exception {
        Map<Integer, Map<String, String>> rows = run(List.of(phase(0, 10, "/ok"), phase(1, 10, "/busy")));

        assertThat(rows.get(0)).containsEntry("status_2xx", "10").containsEntry("status_5xx", "0");
        assertThat(rows.get(1)).containsEntry("status_2xx", "0").containsEntry("status_5xx", "10");
        String summary = Files.readString(dir.resolve("summary.txt"));
        assertThat(summary).contains("requests=20\n", "status_2xx=10\n", "status_5xx=10\n", "connection_errors=0\n");
    }

    /**
     * One second of arrivals at {@code rate}. The phase ends half an interval after its last arrival, not at 999 ms
     * as the harness does: Hyperfoil ends a phase on a timer of its own, and one that fires a few ms late on a busy
     * machine would let the next second's first arrival in, so the counts asserted here would depend on scheduling.
     */
    private static String phase(int second, int rate, String path) {
        return """
                - s%04d:
                    constantRate:
                      startTime: %ds
                      duration: %dms
                      usersPerSec: %d
                      variance: false
                      maxSessions: %d
                      sessionLimitPolicy: continue
                      scenario:
                      - call:
                        - httpRequest:
                            POST: %s
                            body: "{}"
                            timeout: 30s
                """.formatted(second, second, 1000 - 500 / rate, rate, rate * 2, path);
    }

    /** Runs the phases; returns samples.csv as second → column → value. */
    private Map<Integer, Map<String, String>> run(List<String> phases) throws Exception {
        Path yaml = dir.resolve("benchmark.yaml");
        Files.writeString(yaml, """
                name: test
                threads: 1
                http:
                  host: http://127.0.0.1:%d
                  sharedConnections: 100
                phases:
                """.formatted(port) + String.join("", phases));
        LoadDriver.run(yaml, dir.resolve("samples.csv"), dir.resolve("summary.txt"));
        List<String> lines = Files.readAllLines(dir.resolve("samples.csv"));
        String[] header = lines.get(0).split(",", -1);
        assertThat(lines.get(0)).isEqualTo(LoadDriver.HEADER);
        return lines.stream().skip(1).map(l -> l.split(",", -1)).collect(Collectors.toMap(
                v -> Integer.parseInt(v[0]),
                v -> IntStream.range(0, header.length).boxed().collect(Collectors.toMap(i -> header[i], i -> v[i]))));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
