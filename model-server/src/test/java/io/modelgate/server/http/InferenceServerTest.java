package io.modelgate.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.tensor.TensorSpec;
import io.modelgate.server.v2.BadRequestException;
import io.modelgate.server.v2.ModelMetadata;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The HTTP layer on a loopback port, with a fake model that sums each row of its input. */
class InferenceServerTest {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final ModelMetadata SUM = new ModelMetadata("sum", Optional.of("3"), "onnxruntime_onnx",
      List.of(TensorSpec.of("x", Datatype.FP32, -1, 2)), List.of(TensorSpec.of("total", Datatype.FP32, -1)));
  private static final String GOOD = "{\"inputs\":[{\"name\":\"x\",\"shape\":[2,2],\"datatype\":\"FP32\",\"data\":[[1,2],[3,4]]}]}";

  private final HttpClient client = HttpClient.newHttpClient();
  private InferenceServer server;

  /** Sums rows; refuses a zero row the way ORT refuses what its graph cannot take; fails on 13. */
  private static Map<String, Tensor> sumRows(Map<String, Tensor> inputs, java.util.Set<String> outputs) {
    float[] x = (float[]) inputs.get("x").data();
    float[] totals = new float[x.length / 2];
    for (int i = 0; i < totals.length; i++) {
      totals[i] = x[2 * i] + x[2 * i + 1];
      if (totals[i] == 0) {
        throw new BadRequestException("the model refused the inputs: zero row");
      }
      if (totals[i] == 13) {
        throw new IllegalStateException("ONNX Runtime failed: unlucky");
      }
    }
    return Map.of("total", Tensor.ofFloats("total", new long[] {totals.length}, totals));
  }

  @BeforeEach
  void start() throws IOException {
    server = InferenceServer.start(InferenceServer.Settings.of(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4, 1 << 20), "sum", Optional.of("3"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  private static String error(HttpResponse<String> r) throws IOException {
    return MAPPER.readTree(r.body()).get("error").asText();
  }

  @Test
  void is_live_but_not_ready_when_the_model_is_still_loading() throws Exception {
    assertThat(get("/v2/health/live").statusCode()).isEqualTo(200);
    assertThat(get("/v2/health/ready").statusCode()).isEqualTo(503);
    assertThat(get("/v2/models/sum/ready").statusCode()).isEqualTo(503);
    HttpResponse<String> infer = post("/v2/models/sum/infer", GOOD);
    assertThat(infer.statusCode()).isEqualTo(503);
    assertThat(error(infer)).isEqualTo("model 'sum' is still loading; wait for GET /v2/health/ready to answer 200");

    server.ready(SUM, InferenceServerTest::sumRows);

    assertThat(get("/v2/health/ready").body()).isEqualTo("{\"ready\":true}");
    assertThat(get("/v2/models/sum/ready").statusCode()).isEqualTo(200);
    assertThat(get("/v2/models/sum/versions/3/ready").statusCode()).isEqualTo(200);
  }

  @Test
  void answers_an_inference_with_the_model_name_version_and_the_request_id() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    String body = GOOD.replace("{\"inputs\"", "{\"id\":\"req-7\",\"inputs\"");
    HttpResponse<String> r = post("/v2/models/sum/infer", body);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).contains("application/json");
    assertThat(r.body()).isEqualTo("{\"model_name\":\"sum\",\"model_version\":\"3\",\"id\":\"req-7\",\"outputs\":"
        + "[{\"name\":\"total\",\"datatype\":\"FP32\",\"shape\":[2],\"data\":[3.0,7.0]}]}");
    assertThat(post("/v2/models/sum/versions/3/infer", body).statusCode()).isEqualTo(200);
  }

  @Test
  void makes_up_an_id_when_the_request_has_none() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    JsonNode r = MAPPER.readTree(post("/v2/models/sum/infer", GOOD).body());
    assertThat(r.get("id").asText()).hasSize(36);
  }

  @Test
  void describes_the_model_when_asked_for_its_metadata() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    HttpResponse<String> r = get("/v2/models/sum");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("{\"name\":\"sum\",\"versions\":[\"3\"],\"platform\":\"onnxruntime_onnx\","
        + "\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[-1,2]}],"
        + "\"outputs\":[{\"name\":\"total\",\"datatype\":\"FP32\",\"shape\":[-1]}]}");
  }

  @Test
  void answers_404_naming_the_served_model_when_another_is_asked_for() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    HttpResponse<String> r = post("/v2/models/iris/infer", GOOD);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(error(r)).isEqualTo("model 'iris' is not served here; this server serves 'sum'");
    HttpResponse<String> v = get("/v2/models/sum/versions/9");
    assertThat(v.statusCode()).isEqualTo(404);
    assertThat(error(v)).isEqualTo("model 'sum' has no version '9'; it serves version 3");
  }

  @Test
  void answers_404_listing_the_routes_when_the_path_is_unknown() throws Exception {
    HttpResponse<String> r = get("/v1/models/sum:predict");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(error(r)).startsWith("no route GET /v1/models/sum:predict; this server answers GET /v2/health/live");
  }

  @Test
  void answers_405_with_allow_when_the_method_is_wrong() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    HttpResponse<String> r = get("/v2/models/sum/infer");
    assertThat(r.statusCode()).isEqualTo(405);
    assertThat(r.headers().firstValue("Allow")).contains("POST");
    assertThat(post("/v2/health/live", "").statusCode()).isEqualTo(405);
  }

  @Test
  void answers_400_and_keeps_serving_when_a_request_is_bad() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    HttpResponse<String> bad = post("/v2/models/sum/infer", GOOD.replace("FP32", "INT64"));
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(error(bad)).isEqualTo("input 'x': expected datatype FP32, got INT64");
    assertThat(post("/v2/models/sum/infer", GOOD).statusCode()).isEqualTo(200);
  }

  @Test
  void answers_400_when_the_model_refuses_the_inputs_and_500_when_the_run_fails() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    HttpResponse<String> refused = post("/v2/models/sum/infer", GOOD.replace("[[1,2],[3,4]]", "[[1,2],[0,0]]"));
    assertThat(refused.statusCode()).isEqualTo(400);
    assertThat(error(refused)).isEqualTo("the model refused the inputs: zero row");
    HttpResponse<String> failed = post("/v2/models/sum/infer", GOOD.replace("[[1,2],[3,4]]", "[[1,2],[6,7]]"));
    assertThat(failed.statusCode()).isEqualTo(500);
    assertThat(error(failed)).isEqualTo("inference failed: ONNX Runtime failed: unlucky");
    assertThat(post("/v2/models/sum/infer", GOOD).statusCode()).isEqualTo(200);
  }

  @Test
  void refuses_a_body_over_the_limit_without_reading_it_into_memory_and_keeps_serving() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    byte[] garbage = new byte[10 << 20];
    Arrays.fill(garbage, (byte) 'x');
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/v2/models/sum/infer"))
        .POST(HttpRequest.BodyPublishers.ofByteArray(garbage)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r)).isEqualTo("the request body is 10485760 bytes, over this server's limit of 1048576 bytes;"
        + " send fewer rows per request or raise MAX_REQUEST_BYTES");
    assertThat(post("/v2/models/sum/infer", GOOD).statusCode()).isEqualTo(200);
  }

  @Test
  void refuses_a_chunked_body_when_it_grows_past_the_limit() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    byte[] garbage = new byte[3 << 20];
    Arrays.fill(garbage, (byte) '[');
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/v2/models/sum/infer"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(garbage))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(error(r)).startsWith("the request body is more than 1048576 bytes");
    assertThat(post("/v2/models/sum/infer", GOOD).statusCode()).isEqualTo(200);
  }

  @Test
  void reads_a_chunked_body_when_it_is_within_the_limit() throws Exception {
    server.ready(SUM, InferenceServerTest::sumRows);
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(uri("/v2/models/sum/infer"))
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(GOOD.getBytes()))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  @Test
  void announces_each_inference_and_withdraws_it_before_predicting_or_refusing() throws Exception {
    List<String> events = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    server.ready(SUM, new InferenceServer.Predictor() {
      @Override
      public Map<String, Tensor> predict(Map<String, Tensor> inputs, java.util.Set<String> outputs) {
        events.add("predict");
        return sumRows(inputs, outputs);
      }

      @Override
      public InferenceServer.Arrival announce() {
        events.add("announce");
        return () -> events.add("withdraw");
      }
    });
    assertThat(post("/v2/models/sum/infer", GOOD).statusCode()).isEqualTo(200);
    assertThat(post("/v2/models/sum/infer", "{").statusCode()).isEqualTo(400);
    assertThat(events).containsExactly("announce", "withdraw", "predict", "announce", "withdraw");
  }

  @Test
  void names_the_server_when_asked_for_server_metadata() throws Exception {
    JsonNode r = MAPPER.readTree(get("/v2").body());
    assertThat(r.get("name").asText()).isEqualTo("modelgate-model-server");
    assertThat(r.get("extensions").isArray()).isTrue();
  }
}
