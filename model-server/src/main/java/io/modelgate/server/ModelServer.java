package io.modelgate.server;

import io.modelgate.server.batch.Batcher;
import io.modelgate.server.batch.BatchPolicy;
import io.modelgate.server.cgroup.CpuLimit;
import io.modelgate.server.http.InferenceServer;
import io.modelgate.server.onnx.ModelLoadException;
import io.modelgate.server.onnx.OnnxModel;
import io.modelgate.server.tensor.TensorSpec;
import io.modelgate.server.v2.ModelMetadata;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A running server: listening first (so liveness answers while the model loads), then the model loaded,
 * then ready. {@link #start} returns once it is ready.
 */
public final class ModelServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(ModelServer.class.getName());

  private final InferenceServer http;
  private final OnnxModel model;
  private final Optional<Batcher> batcher;
  private final long loadMillis;

  private ModelServer(InferenceServer http, OnnxModel model, Optional<Batcher> batcher, long loadMillis) {
    this.http = http;
    this.model = model;
    this.batcher = batcher;
    this.loadMillis = loadMillis;
  }

  /**
   * @param cores the cores this process may use ({@link CpuLimit#cores()}): ORT's threads per run
   * @throws IOException when it cannot listen (the message names the address)
   * @throws ModelLoadException when the model cannot be served
   */
  public static ModelServer start(ServerConfig config, int cores) throws IOException, ModelLoadException {
    int threads = config.httpThreads() > 0 ? config.httpThreads() : requestThreads(cores, config.batching());
    InetSocketAddress address = new InetSocketAddress(config.host(), config.port());
    InferenceServer http;
    try {
      http = InferenceServer.start(InferenceServer.Settings.of(address, threads, config.maxRequestBytes()),
          config.modelName(), config.modelVersion());
    } catch (IOException e) {
      throw new IOException("cannot listen on " + config.host() + ":" + config.port() + ": " + e.getMessage()
          + "; set PORT (or HOST) to a free one", e);
    }
    LOG.info(() -> "listening on " + http.address().getHostString() + ":" + http.port() + "; loading " + config.modelPath());
    long loadStart = System.nanoTime();
    OnnxModel model;
    try {
      model = OnnxModel.load(config.modelPath(), cores);
    } catch (ModelLoadException | RuntimeException e) {
      http.close();
      throw e;
    }
    long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
    ModelMetadata metadata = new ModelMetadata(config.modelName(), config.modelVersion(), OnnxModel.PLATFORM,
        model.inputs(), model.outputs());
    Optional<Batcher> batcher = Optional.empty();
    InferenceServer.Predictor predictor = model::run;
    if (config.batching().isPresent()) {
      if (metadata.batchable()) {
        Batcher b = Batcher.start(model::run, config.batching().get());
        batcher = Optional.of(b);
        predictor = new InferenceServer.Predictor() {
          @Override
          public java.util.Map<String, io.modelgate.server.tensor.Tensor> predict(
              java.util.Map<String, io.modelgate.server.tensor.Tensor> inputs, java.util.Set<String> outputs) {
            return b.infer(inputs, outputs);
          }

          @Override
          public InferenceServer.Arrival announce() {
            return b.announce()::close;
          }
        };
      } else {
        LOG.warning(() -> "dynamic batching stays off: it needs every input and output to have a variable first"
            + " dimension, and " + Stream.concat(metadata.inputs().stream(), metadata.outputs().stream())
                .filter(s -> !s.hasBatchDimension()).map(TensorSpec::toString).collect(Collectors.joining(", "))
            + " do not");
      }
    }
    http.ready(metadata, predictor);
    String batching = batcher.isPresent() ? describe(config.batching().get()) : "off";
    LOG.info(() -> "model '" + metadata.name() + "'" + metadata.version().map(v -> " version " + v).orElse("")
        + ": inputs " + metadata.inputs() + ", outputs " + metadata.outputs() + "; " + cores + " cores, " + threads
        + " request threads, batching " + batching);
    return new ModelServer(http, model, batcher, loadMillis);
  }

  /**
   * Enough threads to keep the cores busy while others parse and write JSON; with batching, enough waiting
   * requests to fill a batch twice over (each request thread waits on its batch).
   */
  static int requestThreads(int cores, Optional<BatchPolicy> batching) {
    int base = Math.max(4, 2 * cores);
    return batching.map(b -> Math.max(base, Math.min(1024, 2 * b.maxBatchSize()))).orElse(base);
  }

  private static String describe(BatchPolicy b) {
    return "up to " + b.maxBatchSize() + " rows, waiting at most " + b.maxDelay().toMillis() + " ms";
  }

  public int port() {
    return http.port();
  }

  public long loadMillis() {
    return loadMillis;
  }

  /** Stops taking requests, lets those in flight finish for up to {@code grace}, and frees the model. */
  public void stop(Duration grace) {
    http.stop(grace);
    batcher.ifPresent(Batcher::close);
    model.close();
  }

  @Override
  public void close() {
    stop(Duration.ZERO);
  }
}
