package io.modelgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code java -jar target/model-server.jar} as a container would run it: a process, env settings, SIGTERM. */
class MainIT {
  private static final Path JAR = Path.of("target", "model-server.jar").toAbsolutePath();
  private static final Pattern LISTENING = Pattern.compile("listening on 127\\.0\\.0\\.1:(\\d+)");
  private static final Pattern READY = Pattern.compile("ready in (\\d+) ms from process start \\(model loaded in (\\d+) ms\\)");

  private static Process start(Map<String, String> env) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        JAR.toString());
    pb.environment().keySet().removeIf(k -> ServerConfig.SETTINGS.containsKey(k));
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    return pb.start();
  }

  /** Reads the log until the ready line (or the end), returning every line read. */
  private static List<String> readUntilReady(Process p) throws Exception {
    List<String> lines = new ArrayList<>();
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
      try {
        String line;
        while ((line = out.readLine()) != null) {
          synchronized (lines) {
            lines.add(line);
          }
          if (READY.matcher(line).find()) {
            return;
          }
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    reading.get(60, TimeUnit.SECONDS);
    synchronized (lines) {
      return new ArrayList<>(lines);
    }
  }

  private static Matcher find(List<String> lines, Pattern pattern) {
    for (String l : lines) {
      Matcher m = pattern.matcher(l);
      if (m.find()) {
        return m;
      }
    }
    throw new AssertionError("no line matching " + pattern + " in:\n" + String.join("\n", lines));
  }

  @Test
  void serves_iris_and_logs_its_time_to_ready_then_stops_on_sigterm() throws Exception {
    long launched = System.nanoTime();
    Process p = start(Map.of("MODEL_PATH", Iris.MODEL.toString(), "MODEL_NAME", "iris", "HOST", "127.0.0.1", "PORT", "0"));
    try {
      List<String> log = readUntilReady(p);
      long seenReady = (System.nanoTime() - launched) / 1_000_000;
      int port = Integer.parseInt(find(log, LISTENING).group(1));
      Matcher ready = find(log, READY);
      // The logged time to ready is the process's own: no more than this test saw (plus /proc's 10 ms ticks).
      assertThat(Long.parseLong(ready.group(1))).isPositive().isLessThanOrEqualTo(seenReady + 30)
          .isGreaterThanOrEqualTo(Long.parseLong(ready.group(2)));
      assertThat(log).noneMatch(l -> l.contains("DEBUG")); // per-request lines only at LOG_LEVEL=debug

      HttpClient client = HttpClient.newHttpClient();
      HttpResponse<String> health = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v2/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      HttpResponse<String> infer = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/v2/models/iris/infer")).POST(HttpRequest.BodyPublishers.ofFile(Iris.DIR.resolve("request.json"))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(infer.statusCode()).isEqualTo(200);
      assertThat(infer.body()).contains("\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[2],\"data\":[0,2]");

      p.destroy(); // SIGTERM
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("exits after SIGTERM").isTrue();
      assertThat(p.exitValue()).isIn(0, 143);
    } finally {
      p.destroyForcibly();
    }
  }

  @Test
  void exits_2_naming_the_setting_when_the_model_path_does_not_exist() throws Exception {
    Process p = start(Map.of("MODEL_PATH", "/nowhere/model.onnx"));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isEqualTo(2);
    assertThat(out).startsWith("model-server: MODEL_PATH /nowhere/model.onnx does not exist");
  }

  @Test
  void exits_1_naming_the_file_when_it_is_not_an_onnx_model(@TempDir Path dir) throws Exception {
    Path junk = Files.writeString(dir.resolve("junk.onnx"), "not a model");
    Process p = start(Map.of("MODEL_PATH", junk.toString(), "HOST", "127.0.0.1", "PORT", "0"));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isEqualTo(1);
    assertThat(out).contains("ERROR ONNX Runtime cannot load " + junk);
  }
}
