package io.modelgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelgate.server.cgroup.CpuLimit;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The real server, in this JVM, on a loopback port, serving the committed examples/iris/model.onnx with
 * the real ONNX Runtime: twice, once without and once with dynamic batching.
 */
class ModelServerIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newHttpClient();

  private static Iris iris;
  private static ModelServer plain;
  private static ModelServer batching;
  private static final List<String> batchLog = new ArrayList<>();
  private static final Handler BATCH_LOG = new Handler() {
    @Override
    public void publish(LogRecord r) {
      synchronized (batchLog) {
        batchLog.add(r.getMessage());
      }
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
  };

  @BeforeAll
  static void start() throws Exception {
    iris = Iris.load();
    Map<String, String> env = Map.of("MODEL_PATH", Iris.MODEL.toString(), "MODEL_NAME", "iris", "MODEL_VERSION", "1",
        "HOST", "127.0.0.1", "PORT", "0");
    plain = ModelServer.start(ServerConfig.from(env, List.of(), Iris.DIR), CpuLimit.cores());
    Logger batcherLog = Logger.getLogger("io.modelgate.server.batch.Batcher");
    batcherLog.setLevel(Level.FINE);
    batcherLog.addHandler(BATCH_LOG);
    batching = ModelServer.start(ServerConfig.from(env, List.of("--max-batch-size", "32", "--max-batch-delay-ms", "5"),
        Iris.DIR), CpuLimit.cores());
  }

  @AfterAll
  static void stop() {
    Logger.getLogger("io.modelgate.server.batch.Batcher").removeHandler(BATCH_LOG);
    if (plain != null) {
      plain.close();
    }
    if (batching != null) {
      batching.close();
    }
  }

  private static HttpResponse<String> post(ModelServer server, String path, String body) throws Exception {
    return CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode infer(ModelServer server, String body) throws Exception {
    HttpResponse<String> r = post(server, "/v2/models/iris/infer", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return MAPPER.readTree(r.body());
  }

  private static JsonNode output(JsonNode response, String name) {
    for (JsonNode o : response.get("outputs")) {
      if (o.get("name").asText().equals(name)) {
        return o;
      }
    }
    throw new AssertionError("no output '" + name + "' in " + response);
  }

  /** Checks one row's answer against expected.json: the label exactly, probabilities to float precision. */
  private static void assertRow(JsonNode response, int outputRow, int irisRow) {
    assertThat(output(response, "label").get("data").get(outputRow).asInt()).as("row %d label", irisRow)
        .isEqualTo(iris.labels.get(irisRow));
    JsonNode p = output(response, "probabilities").get("data");
    for (int c = 0; c < 3; c++) {
      assertThat(p.get(outputRow * 3 + c).asDouble()).as("row %d class %d", irisRow, c)
          .isCloseTo(iris.probabilities.get(irisRow)[c], within(2e-6));
    }
  }

  @Test
  void labels_all_150_iris_rows_as_the_training_script_did_when_each_row_is_its_own_request() throws Exception {
    for (int i = 0; i < 150; i++) {
      JsonNode r = infer(plain, iris.request("row-" + i, List.of(iris.rows.get(i))));
      assertThat(r.get("id").asText()).isEqualTo("row-" + i);
      assertThat(r.get("model_name").asText()).isEqualTo("iris");
      assertThat(r.get("model_version").asText()).isEqualTo("1");
      assertThat(output(r, "label").get("shape")).hasToString("[1]");
      assertThat(output(r, "probabilities").get("shape")).hasToString("[1,3]");
      assertRow(r, 0, i);
    }
  }

  @Test
  void labels_all_150_iris_rows_when_sent_as_one_request() throws Exception {
    JsonNode r = infer(plain, iris.request("all", iris.rows));
    assertThat(output(r, "label").get("shape")).hasToString("[150]");
    assertThat(output(r, "label").get("datatype").asText()).isEqualTo("INT64");
    for (int i = 0; i < 150; i++) {
      assertRow(r, i, i);
    }
  }

  @Test
  void describes_iris_inputs_and_outputs_with_variable_batch_dimensions() throws Exception {
    HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + plain.port()
        + "/v2/models/iris")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode m = MAPPER.readTree(r.body());
    assertThat(m.get("name").asText()).isEqualTo("iris");
    assertThat(m.get("versions")).hasToString("[\"1\"]");
    assertThat(m.get("platform").asText()).isEqualTo("onnxruntime_onnx");
    assertThat(m.get("inputs")).hasToString("[{\"name\":\"float_input\",\"datatype\":\"FP32\",\"shape\":[-1,4]}]");
    assertThat(m.get("outputs")).hasToString("[{\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[-1]},"
        + "{\"name\":\"probabilities\",\"datatype\":\"FP32\",\"shape\":[-1,3]}]");
  }

  @Test
  void returns_only_the_asked_output_when_the_request_names_one() throws Exception {
    String body = iris.request("x", List.of(iris.rows.get(100))).replace("]}]}", "]}],\"outputs\":[{\"name\":\"label\"}]}");
    JsonNode r = infer(plain, body);
    assertThat(r.get("outputs")).hasSize(1);
    assertThat(output(r, "label").get("data").get(0).asInt()).isEqualTo(iris.labels.get(100));
  }

  static Stream<Arguments> badRequests() {
    String in = "{\"inputs\":[{\"name\":\"float_input\",\"shape\":%s,\"datatype\":\"%s\",\"data\":%s}]}";
    char[] tenMegabytes = new char[10 << 20];
    Arrays.fill(tenMegabytes, 'z');
    return Stream.of(
        Arguments.of("unknown input", "{\"inputs\":[{\"name\":\"sepal\",\"shape\":[1,4],\"datatype\":\"FP32\",\"data\":[1,2,3,4]}]}",
            "unknown input 'sepal'; the model's inputs are float_input (FP32 [-1, 4])"),
        Arguments.of("no inputs", "{\"inputs\":[]}", "the request has no inputs; the model expects float_input (FP32 [-1, 4])"),
        Arguments.of("wrong datatype", String.format(in, "[1,4]", "INT64", "[5,3,1,0]"),
            "input 'float_input': expected datatype FP32, got INT64"),
        Arguments.of("wrong rank", String.format(in, "[4]", "FP32", "[5.1,3.5,1.4,0.2]"),
            "input 'float_input': expected shape [-1, 4] (rank 2), got [4] (rank 1)"),
        Arguments.of("wrong fixed dimension", String.format(in, "[1,3]", "FP32", "[5.1,3.5,1.4]"),
            "input 'float_input': expected shape [-1, 4], got [1, 3] (dimension 1 is 3, must be 4)"),
        Arguments.of("too few elements", String.format(in, "[2,4]", "FP32", "[5.1,3.5,1.4,0.2]"),
            "input 'float_input': shape [2, 4] needs 8 elements, data has 4"),
        Arguments.of("ragged nesting", String.format(in, "[2,4]", "FP32", "[[5.1,3.5,1.4],[0.2,1,2,3,4]]"),
            "input 'float_input': nested data does not match shape [2, 4] (an array at depth 2 has 3 elements, expected 4)"),
        Arguments.of("non-numeric data", String.format(in, "[1,4]", "FP32", "[5.1,\"wide\",1.4,0.2]"),
            "input 'float_input': data[1] is \"wide\", expected a number (FP32)"),
        Arguments.of("unknown datatype", String.format(in, "[1,4]", "FLOAT", "[5.1,3.5,1.4,0.2]"),
            "input 'float_input': unknown datatype 'FLOAT'"),
        Arguments.of("unknown output", String.format(in, "[1,4]", "FP32", "[5.1,3.5,1.4,0.2]")
            .replace("]}]}", "]}],\"outputs\":[{\"name\":\"class\"}]}"),
            "unknown output 'class'; the model's outputs are label, probabilities"),
        Arguments.of("malformed JSON", "{\"inputs\":[{\"name\":\"float_input\",", "malformed JSON: "),
        Arguments.of("10 MB of garbage", new String(tenMegabytes),
            "the request body is 10485760 bytes, over this server's limit of 8388608 bytes"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badRequests")
  void answers_400_naming_what_was_wrong_and_then_serves_the_next_request(String what, String body, String message)
      throws Exception {
    HttpResponse<String> r = post(plain, "/v2/models/iris/infer", body);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(MAPPER.readTree(r.body()).get("error").asText()).startsWith(message);
    assertRow(infer(plain, iris.request("next", List.of(iris.rows.get(77)))), 0, 77);
  }

  @Test
  void answers_404_when_the_model_is_not_the_one_served() throws Exception {
    HttpResponse<String> r = post(plain, "/v2/models/resnet/infer", iris.request("x", List.of(iris.rows.get(0))));
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(MAPPER.readTree(r.body()).get("error").asText())
        .isEqualTo("model 'resnet' is not served here; this server serves 'iris'");
  }

  @Test
  void answers_concurrent_requests_the_same_with_batching_on_as_off() throws Exception {
    int clients = 24;
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<String>> withBatching = new ArrayList<>();
      List<Future<String>> without = new ArrayList<>();
      for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 150; i++) {
          // Mostly single rows, some of two and some of three: different row counts share batches too.
          int n = i % 10 == 0 ? 3 : i % 7 == 0 ? 2 : 1;
          List<float[]> rows = new ArrayList<>();
          for (int k = 0; k < n; k++) {
            rows.add(iris.rows.get((i + k) % 150));
          }
          String body = iris.request("r" + round + "-" + i, rows);
          withBatching.add(pool.submit(() -> post(batching, "/v2/models/iris/infer", body).body()));
          without.add(pool.submit(() -> post(plain, "/v2/models/iris/infer", body).body()));
        }
      }
      for (int i = 0; i < withBatching.size(); i++) {
        String a = withBatching.get(i).get();
        assertThat(a).isEqualTo(without.get(i).get());
        JsonNode r = MAPPER.readTree(a);
        int first = i % 150;
        int n = first % 10 == 0 ? 3 : first % 7 == 0 ? 2 : 1;
        for (int k = 0; k < n; k++) {
          assertRow(r, k, (first + k) % 150);
        }
      }
    } finally {
      pool.shutdownNow();
    }
    synchronized (batchLog) {
      assertThat(batchLog).as("the batcher ran requests together at least once")
          .anyMatch(m -> m.startsWith("batch of ") && !m.startsWith("batch of 1 "));
    }
  }

  @Test
  void serves_single_requests_with_batching_on_when_no_one_else_is_asking() throws Exception {
    JsonNode r = infer(batching, iris.request("alone", List.of(iris.rows.get(149))));
    assertRow(r, 0, 149);
    assertThat(r.toString().getBytes(StandardCharsets.UTF_8).length).isLessThan(400);
  }
}
