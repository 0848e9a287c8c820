package io.modelgate.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelgate.server.batch.BatchPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerConfigTest {
  @TempDir
  Path modelDir;

  @BeforeEach
  void aModel() throws IOException {
    Files.writeString(modelDir.resolve("model.onnx"), "weights");
  }

  private ServerConfig from(Map<String, String> env, String... args) {
    return ServerConfig.from(env, List.of(args), modelDir);
  }

  @Test
  void serves_model_onnx_from_the_model_directory_on_8080_without_batching_when_nothing_is_set() {
    ServerConfig c = from(Map.of());
    assertThat(c.modelPath()).isEqualTo(modelDir.resolve("model.onnx"));
    assertThat(c.modelName()).isEqualTo("model");
    assertThat(c.modelVersion()).isEmpty();
    assertThat(c.host()).isEqualTo("0.0.0.0");
    assertThat(c.port()).isEqualTo(8080);
    assertThat(c.batching()).isEmpty();
    assertThat(c.maxRequestBytes()).isEqualTo(8 << 20);
    assertThat(c.logLevel()).isEqualTo(Level.INFO);
  }

  @Test
  void takes_the_only_onnx_file_and_names_the_model_after_it_when_there_is_no_model_onnx() throws IOException {
    Files.delete(modelDir.resolve("model.onnx"));
    Files.writeString(modelDir.resolve("iris.onnx"), "weights");
    Files.writeString(modelDir.resolve("README.md"), "docs");
    ServerConfig c = from(Map.of());
    assertThat(c.modelPath()).isEqualTo(modelDir.resolve("iris.onnx"));
    assertThat(c.modelName()).isEqualTo("iris");
  }

  @Test
  void asks_for_model_path_when_the_directory_holds_several_models() throws IOException {
    Files.delete(modelDir.resolve("model.onnx"));
    Files.writeString(modelDir.resolve("a.onnx"), "");
    Files.writeString(modelDir.resolve("b.onnx"), "");
    assertThatThrownBy(() -> from(Map.of()))
        .hasMessage(modelDir + " holds 2 .onnx files (a.onnx, b.onnx); set MODEL_PATH to one of them");
  }

  @Test
  void names_the_path_when_model_path_does_not_exist() {
    assertThatThrownBy(() -> from(Map.of("MODEL_PATH", "/nowhere/m.onnx")))
        .hasMessage("MODEL_PATH /nowhere/m.onnx does not exist");
  }

  @Test
  void reads_every_setting_from_the_environment() {
    ServerConfig c = from(Map.of("MODEL_NAME", "iris", "MODEL_VERSION", "1", "HOST", "127.0.0.1", "PORT", "9000",
        "MAX_BATCH_SIZE", "16", "MAX_BATCH_DELAY_MS", "3", "MAX_REQUEST_BYTES", "1048576", "HTTP_THREADS", "12",
        "LOG_LEVEL", "debug"));
    assertThat(c.modelName()).isEqualTo("iris");
    assertThat(c.modelVersion()).contains("1");
    assertThat(c.host()).isEqualTo("127.0.0.1");
    assertThat(c.port()).isEqualTo(9000);
    assertThat(c.batching()).contains(BatchPolicy.of(16, Duration.ofMillis(3)));
    assertThat(c.maxRequestBytes()).isEqualTo(1 << 20);
    assertThat(c.httpThreads()).isEqualTo(12);
    assertThat(c.logLevel()).isEqualTo(Level.FINE);
  }

  @Test
  void lets_options_win_when_both_an_option_and_the_environment_set_a_value() {
    ServerConfig c = from(Map.of("PORT", "9000", "MODEL_NAME", "env"), "--port", "9001", "--model-name=opt");
    assertThat(c.port()).isEqualTo(9001);
    assertThat(c.modelName()).isEqualTo("opt");
  }

  @Test
  void defaults_the_batch_delay_when_only_the_batch_size_is_set() {
    assertThat(from(Map.of("MAX_BATCH_SIZE", "8")).batching()).contains(BatchPolicy.of(8, Duration.ofMillis(5)));
  }

  @Test
  void says_how_to_turn_batching_on_when_only_the_delay_is_set() {
    assertThatThrownBy(() -> from(Map.of("MAX_BATCH_DELAY_MS", "5")))
        .hasMessageStartingWith("MAX_BATCH_DELAY_MS is set but MAX_BATCH_SIZE is not");
  }

  @Test
  void names_the_setting_and_its_range_when_a_number_is_not_one() {
    assertThatThrownBy(() -> from(Map.of("PORT", "http")))
        .hasMessage("PORT must be a whole number from 0 to 65535, got 'http'");
    assertThatThrownBy(() -> from(Map.of("PORT", "70000")))
        .hasMessage("PORT must be a whole number from 0 to 65535, got '70000'");
  }

  @Test
  void lists_the_options_when_one_is_misspelt() {
    assertThatThrownBy(() -> from(Map.of(), "--modle-path", "x"))
        .hasMessageStartingWith("unknown option --modle-path; options are --model-path, --model-name,");
  }

  @Test
  void ignores_unrelated_environment_variables_and_blank_ones() {
    ServerConfig c = from(Map.of("PATH", "/usr/bin", "PORT", " "));
    assertThat(c.port()).isEqualTo(8080);
  }

  @Test
  void refuses_a_model_name_when_it_cannot_be_a_url_segment() {
    assertThatThrownBy(() -> from(Map.of("MODEL_NAME", "a/b"))).hasMessageContaining("have no '/'");
  }
}
