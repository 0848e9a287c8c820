package io.modelgate.server.http;

import com.sun.net.httpserver.HttpServer;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.v2.ModelMetadata;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Open Inference Protocol over HTTP/1.1 on the JDK's built-in server: no framework, so the image is
 * small and the process is listening within milliseconds. It listens (and answers {@code live}) before the
 * model is loaded, and answers {@code ready} and inference requests only after {@link #ready}.
 *
 * <p>Routes: {@code GET /v2}, {@code GET /v2/health/live}, {@code GET /v2/health/ready},
 * {@code GET /v2/models/{m}[/versions/{v}]}, {@code GET .../ready}, {@code POST .../infer}.
 */
public final class InferenceServer implements AutoCloseable {

  static {
    // Responses are small and written in one go: do not let Nagle hold them back waiting for an ACK.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  /** Runs the model on checked inputs; the batcher or the model itself. */
  @FunctionalInterface
  public interface Predictor {
    /**
     * @param outputs the outputs asked for, empty for all
     * @throws io.modelgate.server.v2.BadRequestException when the model refuses the inputs (answered 400)
     */
    Map<String, Tensor> predict(Map<String, Tensor> inputs, Set<String> outputs);

    /**
     * Announces an inference request before its body is read and checked; the server closes the returned
     * handle when the request is about to be predicted or has been refused. A batcher holds a batch open
     * for requests on their way; a plain model ignores it.
     */
    default Arrival announce() {
      return Arrival.NONE;
    }
  }

  /** A request on its way to {@link Predictor#predict}; closing it more than once is harmless. */
  @FunctionalInterface
  public interface Arrival extends AutoCloseable {
    Arrival NONE = () -> { };

    @Override
    void close();
  }

  /**
   * @param threads request threads; each waits on its run, so with batching on there must be at least as
   *     many as a batch has requests
   * @param maxRequestBytes bodies larger than this are refused with 400
   */
  public record Settings(InetSocketAddress address, int threads, int maxRequestBytes) {
    public Settings {
      Objects.requireNonNull(address, "address");
      if (threads < 1) {
        throw new IllegalArgumentException("request threads must be at least 1, got " + threads);
      }
      if (maxRequestBytes < 1024) {
        throw new IllegalArgumentException("max request size must be at least 1024 bytes, got " + maxRequestBytes);
      }
    }

    public static Settings of(InetSocketAddress address, int threads, int maxRequestBytes) {
      return new Settings(address, threads, maxRequestBytes);
    }
  }

  private final HttpServer server;
  private final ExecutorService executor;
  private final Routes routes;

  private InferenceServer(HttpServer server, ExecutorService executor, Routes routes) {
    this.server = server;
    this.executor = executor;
    this.routes = routes;
  }

  /** Binds and starts answering; the model named here is reported as loading until {@link #ready}. */
  public static InferenceServer start(Settings settings, String modelName, Optional<String> version) throws IOException {
    HttpServer server = HttpServer.create(settings.address(), 1024);
    AtomicInteger n = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(settings.threads(), r -> {
      Thread t = new Thread(r, "http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    Routes routes = new Routes(modelName, version, settings.maxRequestBytes());
    server.createContext("/", routes);
    server.setExecutor(executor);
    server.start();
    return new InferenceServer(server, executor, routes);
  }

  /** The address it listens on (the real port when 0 was asked for). */
  public InetSocketAddress address() {
    return server.getAddress();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** From now on the model is ready and requests go to {@code predictor}. */
  public void ready(ModelMetadata metadata, Predictor predictor) {
    routes.serve(metadata, predictor);
  }

  /** Stops accepting, waits up to {@code grace} for requests in flight, then stops. */
  public void stop(Duration grace) {
    server.stop((int) Math.max(0, grace.toSeconds()));
    executor.shutdownNow();
  }

  @Override
  public void close() {
    stop(Duration.ZERO);
  }
}
