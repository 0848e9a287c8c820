package io.modelgate.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * examples/iris as the integration tests see it: the committed model, sklearn's 150 rows (iris.csv) and
 * the training script's own predictions for them (expected.json), all written by examples/iris/train.py.
 */
final class Iris {
  static final Path DIR = Path.of("..", "examples", "iris").toAbsolutePath().normalize();
  static final Path MODEL = DIR.resolve("model.onnx");

  final List<float[]> rows = new ArrayList<>();
  final List<Integer> labels = new ArrayList<>();
  final List<float[]> probabilities = new ArrayList<>();

  static Iris load() throws IOException {
    Iris iris = new Iris();
    List<String> lines = Files.readAllLines(DIR.resolve("iris.csv"));
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split(",");
      iris.rows.add(new float[] {Float.parseFloat(f[0]), Float.parseFloat(f[1]), Float.parseFloat(f[2]), Float.parseFloat(f[3])});
    }
    JsonNode expected = new ObjectMapper().readTree(DIR.resolve("expected.json").toFile());
    expected.get("labels").forEach(l -> iris.labels.add(l.asInt()));
    for (JsonNode row : expected.get("probabilities")) {
      float[] p = new float[row.size()];
      for (int i = 0; i < p.length; i++) {
        p[i] = (float) row.get(i).asDouble();
      }
      iris.probabilities.add(p);
    }
    if (iris.rows.size() != 150 || iris.labels.size() != 150) {
      throw new IllegalStateException("examples/iris has " + iris.rows.size() + " rows and " + iris.labels.size()
          + " expected labels; rerun examples/iris/train.py");
    }
    return iris;
  }

  /** A V2 request for some rows, nested data. */
  String request(String id, List<float[]> batch) {
    StringBuilder b = new StringBuilder("{\"id\":\"").append(id).append("\",\"inputs\":[{\"name\":\"float_input\",\"shape\":[")
        .append(batch.size()).append(",4],\"datatype\":\"FP32\",\"data\":[");
    for (int r = 0; r < batch.size(); r++) {
      b.append(r > 0 ? ",[" : "[");
      float[] row = batch.get(r);
      for (int i = 0; i < row.length; i++) {
        b.append(i > 0 ? "," : "").append(row[i]);
      }
      b.append(']');
    }
    return b.append("]}]}").toString();
  }
}
