package io.modelgate.server;

import io.modelgate.server.cgroup.CpuLimit;
import io.modelgate.server.onnx.ModelLoadException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.logging.Logger;

/**
 * {@code java -jar model-server.jar}: reads the settings, serves the model, logs the time from process
 * start to ready (what a scale-from-zero waits for), and stops cleanly on SIGTERM.
 * Exit status 2 for a bad setting, 1 when the server cannot listen or the model cannot be served.
 */
public final class Main {
  private Main() {
  }

  public static void main(String[] args) {
    long mainStart = System.nanoTime();
    if (List.of(args).contains("--help") || List.of(args).contains("-h")) {
      System.out.println(ServerConfig.usage());
      return;
    }
    ServerConfig config;
    try {
      config = ServerConfig.from(System.getenv(), List.of(args), Path.of("/model"));
    } catch (IllegalArgumentException e) {
      System.err.println("model-server: " + e.getMessage());
      System.err.println("(java -jar model-server.jar --help lists the settings)");
      System.exit(2);
      return;
    }
    LineFormatter.install(config.logLevel());
    Logger log = Logger.getLogger(Main.class.getName());
    NativeLibraries.useUnpacked().ifPresent(dir -> log.fine(() -> "ONNX Runtime native libraries from " + dir));
    ModelServer server;
    try {
      server = ModelServer.start(config, CpuLimit.cores());
    } catch (IOException | ModelLoadException e) {
      log.severe(e.getMessage());
      System.exit(1);
      return;
    }
    OptionalLong age = ProcessAge.millis();
    String ready = age.isPresent() ? age.getAsLong() + " ms from process start"
        : (System.nanoTime() - mainStart) / 1_000_000 + " ms from main";
    log.info(() -> "ready in " + ready + " (model loaded in " + server.loadMillis() + " ms)");
    Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(Duration.ofSeconds(2)), "shutdown"));
  }
}
