package io.modelgate.server;

import io.modelgate.server.batch.BatchPolicy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.logging.Level;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The server's settings, from environment variables (how a container is configured) or the same names as
 * command-line options ({@code --model-path x} or {@code --model-path=x} for MODEL_PATH), options winning.
 *
 * @param httpThreads request threads; 0 to size them from the cores and the batch size
 * @param batching empty when dynamic batching is off (the default)
 */
public record ServerConfig(Path modelPath, String modelName, Optional<String> modelVersion, String host, int port,
                           Optional<BatchPolicy> batching, int maxRequestBytes, int httpThreads, Level logLevel) {

  /** Every setting with what it does, for --help and for refusing a misspelt option. */
  static final Map<String, String> SETTINGS = settings();

  static final int DEFAULT_MAX_REQUEST_BYTES = 8 << 20;

  public ServerConfig {
    Objects.requireNonNull(modelPath, "modelPath");
    Objects.requireNonNull(modelName, "modelName");
    Objects.requireNonNull(modelVersion, "modelVersion");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(batching, "batching");
    Objects.requireNonNull(logLevel, "logLevel");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("PORT must be from 0 to 65535, got " + port);
    }
  }

  private static Map<String, String> settings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("MODEL_PATH", "the .onnx file, or a directory holding exactly one (default /model/model.onnx, or the only .onnx in /model)");
    m.put("MODEL_NAME", "the name in /v2/models/{name} (default: the file name without .onnx)");
    m.put("MODEL_VERSION", "the version reported in metadata and responses (default: none)");
    m.put("HOST", "the address to listen on (default 0.0.0.0)");
    m.put("PORT", "the port to listen on, 0 for any free one (default 8080)");
    m.put("MAX_BATCH_SIZE", "turns dynamic batching on: most rows per model run (2 or more; default off)");
    m.put("MAX_BATCH_DELAY_MS", "with MAX_BATCH_SIZE: how long a request may wait for others to join its batch (default 5)");
    m.put("MAX_REQUEST_BYTES", "larger request bodies are refused with 400 (default " + DEFAULT_MAX_REQUEST_BYTES + ")");
    m.put("HTTP_THREADS", "request threads (default: 2 per core, at least 4; with batching at least 2 x MAX_BATCH_SIZE)");
    m.put("LOG_LEVEL", "info, or debug for one line per request and per batch (default info)");
    return java.util.Collections.unmodifiableMap(m);
  }

  /**
   * Reads the settings.
   *
   * @param modelDir where to look for the model when MODEL_PATH is not set (/model in an image)
   * @throws IllegalArgumentException naming the setting, what it got and what it takes
   */
  public static ServerConfig from(Map<String, String> env, List<String> args, Path modelDir) {
    Map<String, String> s = new HashMap<>();
    env.forEach((k, v) -> {
      if (SETTINGS.containsKey(k) && !v.isBlank()) {
        s.put(k, v.strip());
      }
    });
    s.putAll(options(args));

    Path modelPath = resolveModel(Optional.ofNullable(s.get("MODEL_PATH")).map(Path::of), modelDir);
    String name = Optional.ofNullable(s.get("MODEL_NAME")).orElseGet(() -> stem(modelPath));
    if (name.contains("/") || name.isBlank()) {
      throw new IllegalArgumentException("MODEL_NAME '" + name + "' must be non-empty and have no '/' (it is a URL path segment)");
    }
    int port = integer(s, "PORT", 8080, 0, 65535);
    int maxBatch = integer(s, "MAX_BATCH_SIZE", 0, 0, 1 << 20);
    Optional<BatchPolicy> batching = Optional.empty();
    if (maxBatch > 1) {
      batching = Optional.of(BatchPolicy.of(maxBatch, Duration.ofMillis(integer(s, "MAX_BATCH_DELAY_MS", 5, 0, 10_000))));
    } else if (maxBatch == 1) {
      throw new IllegalArgumentException("MAX_BATCH_SIZE=1 batches nothing; set it to 2 or more, or unset it to turn batching off");
    } else if (s.containsKey("MAX_BATCH_DELAY_MS")) {
      throw new IllegalArgumentException("MAX_BATCH_DELAY_MS is set but MAX_BATCH_SIZE is not; set MAX_BATCH_SIZE"
          + " (2 or more) to turn dynamic batching on");
    }
    return new ServerConfig(modelPath, name, Optional.ofNullable(s.get("MODEL_VERSION")),
        s.getOrDefault("HOST", "0.0.0.0"), port, batching,
        integer(s, "MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, 1024, Integer.MAX_VALUE - 16),
        integer(s, "HTTP_THREADS", 0, 0, 4096), logLevel(s.getOrDefault("LOG_LEVEL", "info")));
  }

  static String usage() {
    return "usage: java -jar model-server.jar [--model-path PATH] [--model-name NAME] [--port N] ...\n"
        + "Every option is also an environment variable (--model-path is MODEL_PATH); options win.\n"
        + SETTINGS.entrySet().stream().map(e -> String.format("  %-19s %s", e.getKey(), e.getValue()))
            .collect(Collectors.joining("\n"));
  }

  private static Map<String, String> options(List<String> args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String a = args.get(i);
      if (!a.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + a + "'; options look like --model-path PATH");
      }
      String key;
      String value;
      int eq = a.indexOf('=');
      if (eq > 0) {
        key = a.substring(2, eq);
        value = a.substring(eq + 1);
      } else {
        key = a.substring(2);
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException("option --" + key + " needs a value");
        }
        value = args.get(++i);
      }
      String name = key.toUpperCase(Locale.ROOT).replace('-', '_');
      if (!SETTINGS.containsKey(name)) {
        throw new IllegalArgumentException("unknown option --" + key + "; options are "
            + SETTINGS.keySet().stream().map(k -> "--" + k.toLowerCase(Locale.ROOT).replace('_', '-'))
                .collect(Collectors.joining(", ")));
      }
      out.put(name, value.strip());
    }
    return out;
  }

  private static Path resolveModel(Optional<Path> configured, Path modelDir) {
    Path path = configured.orElse(modelDir);
    if (Files.isRegularFile(path)) {
      return path;
    }
    if (configured.isEmpty() && Files.isRegularFile(modelDir.resolve("model.onnx"))) {
      return modelDir.resolve("model.onnx");
    }
    if (!Files.isDirectory(path)) {
      throw new IllegalArgumentException(configured.isPresent()
          ? "MODEL_PATH " + path + " does not exist"
          : "no model: " + modelDir + " does not exist; set MODEL_PATH to the .onnx file");
    }
    List<Path> onnx;
    try (Stream<Path> files = Files.list(path)) {
      onnx = files.filter(f -> f.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(f)).sorted().toList();
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot list " + path + ": " + e.getMessage());
    }
    if (onnx.size() == 1) {
      return onnx.get(0);
    }
    String what = configured.isPresent() ? "MODEL_PATH " + path : path.toString();
    throw new IllegalArgumentException(onnx.isEmpty()
        ? "no model: " + what + " holds no .onnx file; set MODEL_PATH to the .onnx file"
        : what + " holds " + onnx.size() + " .onnx files (" + onnx.stream().map(p -> p.getFileName().toString())
            .collect(Collectors.joining(", ")) + "); set MODEL_PATH to one of them");
  }

  private static String stem(Path file) {
    String n = file.getFileName().toString();
    return n.endsWith(".onnx") ? n.substring(0, n.length() - ".onnx".length()) : n;
  }

  private static int integer(Map<String, String> s, String key, int fallback, int min, int max) {
    String v = s.get(key);
    if (v == null) {
      return fallback;
    }
    try {
      long n = Long.parseLong(v);
      if (n < min || n > max) {
        throw new NumberFormatException();
      }
      return (int) n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a whole number from " + min + " to " + max + ", got '" + v + "'");
    }
  }

  private static Level logLevel(String v) {
    return switch (v.toLowerCase(Locale.ROOT)) {
      case "debug", "fine" -> Level.FINE;
      case "info" -> Level.INFO;
      case "warn", "warning" -> Level.WARNING;
      case "error" -> Level.SEVERE;
      default -> throw new IllegalArgumentException("LOG_LEVEL must be debug, info, warn or error, got '" + v + "'");
    };
  }
}
