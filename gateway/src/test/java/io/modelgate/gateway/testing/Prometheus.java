package io.modelgate.gateway.testing;

import io.modelgate.packager.testing.ExternalTools;
import io.restassured.path.json.JsonPath;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's Prometheus on loopback, scraping one gateway's /q/metrics every second, for as long as the test holds it:
 * its query API says whether a PromQL expression parses and what it finds. Stopped and its data removed on close.
 */
public final class Prometheus implements AutoCloseable {
    private final Path dir;
    private final Process server;
    private final int port;
    private final HttpClient http = HttpClient.newHttpClient();

    private Prometheus(Path dir, Process server, int port) {
        this.dir = dir;
        this.server = server;
        this.port = port;
    }

    /** Starts Prometheus scraping the gateway at 127.0.0.1:{@code gatewayPort}. */
    public static Prometheus scraping(int gatewayPort) throws IOException {
        Path binary = ExternalTools.require("prometheus", "prometheus");
        Path dir = Files.createTempDirectory("prometheus");
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Files.writeString(dir.resolve("prometheus.yml"), "global: {scrape_interval: 1s}\n"
                + "scrape_configs:\n  - job_name: modelgate\n    metrics_path: /q/metrics\n"
                + "    static_configs: [{targets: ['127.0.0.1:" + gatewayPort + "']}]\n");
        Process server = new ProcessBuilder(binary.toString(), "--config.file=" + dir.resolve("prometheus.yml"),
                "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("log").toFile()).start();
        return new Prometheus(dir, server, port);
    }

    /** The answer of /api/v1/query, or null while the server is still starting. */
    public JsonPath query(String expr) throws IOException, InterruptedException {
        String url = "http://127.0.0.1:" + port + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8);
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
            // JSON for answers and for refused queries (400 bad_data); plain text while it starts (503)
            return body.startsWith("{") ? JsonPath.from(body) : null;
        } catch (java.net.ConnectException starting) {
            return null;
        }
    }

    /** The value of the first series {@code expr} finds, once it finds one; fails after 30 s. */
    public double awaitValue(String expr) throws IOException, InterruptedException {
        for (int i = 0; i < 300; i++) {
            try {
                JsonPath answer = query(expr);
                List<?> result = answer == null ? null : answer.getList("data.result.value");
                if (result != null && !result.isEmpty()) {
                    return Double.parseDouble(String.valueOf(((List<?>) result.get(0)).get(1)));
                }
            } catch (IOException notYet) {
                // still starting
            }
            TimeUnit.MILLISECONDS.sleep(100);
        }
        throw new AssertionError("Prometheus has no value for " + expr + " after 30 s; its log: " + log());
    }

    public String log() throws IOException {
        return Files.readString(dir.resolve("log"));
    }

    @Override
    public void close() throws IOException, InterruptedException {
        server.destroy();
        if (!server.waitFor(10, TimeUnit.SECONDS)) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
