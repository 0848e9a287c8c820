package io.modelgate.server.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.v2.BadRequestException;
import io.modelgate.server.v2.InferRequest;
import io.modelgate.server.v2.InferResponse;
import io.modelgate.server.v2.ModelMetadata;
import io.modelgate.server.v2.V2Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Every route of the server in one handler: the protocol's paths are few and fixed. */
final class Routes implements HttpHandler {
  private static final Logger LOG = Logger.getLogger(InferenceServer.class.getName());
  private static final String SERVER_NAME = "modelgate-model-server";
  private static final String SERVER_VERSION =
      Optional.ofNullable(Routes.class.getPackage().getImplementationVersion()).orElse("dev");

  /** What the server serves once the model is loaded; one reference so readers see both or neither. */
  private record Served(ModelMetadata metadata, InferenceServer.Predictor predictor) {
  }

  private final String modelName;
  private final Optional<String> version;
  private final int maxRequestBytes;
  private final V2Json json = new V2Json();
  private volatile Served served;

  Routes(String modelName, Optional<String> version, int maxRequestBytes) {
    this.modelName = modelName;
    this.version = version;
    this.maxRequestBytes = maxRequestBytes;
  }

  void serve(ModelMetadata metadata, InferenceServer.Predictor predictor) {
    served = new Served(metadata, predictor);
  }

  /** An answer the handler sends: status and JSON body. */
  private record Reply(int status, ByteArrayOutputStream body, String allow) {
  }

  @Override
  public void handle(HttpExchange exchange) {
    long start = System.nanoTime();
    int status = 500;
    try {
      Reply reply;
      try {
        reply = route(exchange);
      } catch (BadRequestException e) {
        reply = error(400, e.getMessage());
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "request " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + " failed", e);
        reply = error(500, "inference failed: " + e.getMessage());
      }
      status = reply.status();
      send(exchange, reply);
    } catch (IOException e) {
      LOG.log(Level.FINE, e, () -> "client went away: " + exchange.getRequestURI());
    } finally {
      exchange.close();
      if (LOG.isLoggable(Level.FINE)) {
        LOG.fine(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath() + " " + status + " "
            + String.format("%.2f ms", (System.nanoTime() - start) / 1e6));
      }
    }
  }

  private Reply route(HttpExchange exchange) throws IOException {
    String method = exchange.getRequestMethod();
    List<String> path = segments(exchange.getRequestURI().getPath());
    if (path.isEmpty() || !path.get(0).equals("v2")) {
      return notFound(exchange);
    }
    if (path.size() == 1) {
      return get(method, () -> object(Map.of("name", SERVER_NAME, "version", SERVER_VERSION, "extensions", List.of())));
    }
    if (path.get(1).equals("health") && path.size() == 3) {
      switch (path.get(2)) {
        case "live":
          return get(method, () -> object(Map.of("live", true)));
        case "ready":
          return get(method, () -> {
            boolean ready = served != null;
            return new Reply(ready ? 200 : 503, json(Map.of("ready", ready)), null);
          });
        default:
          return notFound(exchange);
      }
    }
    if (!path.get(1).equals("models") || path.size() < 3) {
      return notFound(exchange);
    }
    // /v2/models/{m}[/versions/{v}][/ready|/infer]
    String name = path.get(2);
    int rest = 3;
    Optional<String> askedVersion = Optional.empty();
    if (path.size() >= 5 && path.get(3).equals("versions")) {
      askedVersion = Optional.of(path.get(4));
      rest = 5;
    }
    String action = path.size() == rest ? "" : path.size() == rest + 1 ? path.get(rest) : null;
    if (action == null || !(action.isEmpty() || action.equals("ready") || action.equals("infer"))) {
      return notFound(exchange);
    }
    Optional<Reply> unknown = checkModel(name, askedVersion);
    if (unknown.isPresent()) {
      return unknown.get();
    }
    Served s = served;
    switch (action) {
      case "ready":
        return get(method, () -> new Reply(s != null ? 200 : 503, json(Map.of("name", name, "ready", s != null)), null));
      case "infer":
        if (!method.equals("POST")) {
          return new Reply(405, json(Map.of("error", method + " is not allowed here; inference is POST")), "POST");
        }
        if (s == null) {
          return loading();
        }
        return infer(exchange, s);
      default:
        if (s == null) {
          return get(method, this::loading);
        }
        return get(method, () -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream(512);
          json.writeMetadata(s.metadata(), out);
          return new Reply(200, out, null);
        });
    }
  }

  private Reply infer(HttpExchange exchange, Served s) throws IOException {
    InferRequest request;
    try (InferenceServer.Arrival arrival = s.predictor().announce()) {
      RequestBody body = RequestBody.read(exchange, maxRequestBytes);
      request = json.readInferRequest(body.bytes(), body.length(), s.metadata());
    }
    Map<String, Tensor> outputs = s.predictor().predict(request.inputs(), request.outputs());
    List<Tensor> ordered = new ArrayList<>(outputs.size());
    for (var spec : s.metadata().outputs()) {
      Tensor t = outputs.get(spec.name());
      if (t != null) {
        ordered.add(t);
      }
    }
    InferResponse response = new InferResponse(s.metadata().name(), s.metadata().version(),
        request.id().orElseGet(() -> UUID.randomUUID().toString()), ordered);
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 + 16 * outputs.values().stream().mapToInt(Tensor::elementCount).sum());
    json.writeInferResponse(response, out);
    return new Reply(200, out, null);
  }

  private Optional<Reply> checkModel(String name, Optional<String> askedVersion) throws IOException {
    if (!name.equals(modelName)) {
      return Optional.of(error(404, "model '" + name + "' is not served here; this server serves '" + modelName + "'"));
    }
    if (askedVersion.isPresent() && !askedVersion.equals(version)) {
      return Optional.of(error(404, "model '" + name + "' has no version '" + askedVersion.get() + "'; "
          + version.map(v -> "it serves version " + v).orElse("it was given no version (set MODEL_VERSION)")));
    }
    return Optional.empty();
  }

  private Reply loading() throws IOException {
    return error(503, "model '" + modelName + "' is still loading; wait for GET /v2/health/ready to answer 200");
  }

  private Reply notFound(HttpExchange exchange) throws IOException {
    return error(404, "no route " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
        + "; this server answers GET /v2/health/live, GET /v2/health/ready, GET /v2/models/" + modelName
        + ", GET /v2/models/" + modelName + "/ready and POST /v2/models/" + modelName + "/infer");
  }

  private interface ReplySupplier {
    Reply get() throws IOException;
  }

  private Reply get(String method, ReplySupplier answer) throws IOException {
    if (!method.equals("GET") && !method.equals("HEAD")) {
      return new Reply(405, json(Map.of("error", method + " is not allowed here; use GET")), "GET");
    }
    return answer.get();
  }

  private Reply object(Map<String, ?> fields) throws IOException {
    return new Reply(200, json(fields), null);
  }

  private Reply error(int status, String message) throws IOException {
    return new Reply(status, json(Map.of("error", message)), null);
  }

  private ByteArrayOutputStream json(Map<String, ?> fields) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(128);
    json.writeObject(new LinkedHashMap<>(fields), out);
    return out;
  }

  private static void send(HttpExchange exchange, Reply reply) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    if (reply.allow() != null) {
      exchange.getResponseHeaders().set("Allow", reply.allow());
    }
    boolean head = exchange.getRequestMethod().equals("HEAD");
    exchange.sendResponseHeaders(reply.status(), head ? -1 : reply.body().size());
    if (!head) {
      reply.body().writeTo(exchange.getResponseBody());
    }
  }

  private static List<String> segments(String path) {
    List<String> out = new ArrayList<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        out.add(s);
      }
    }
    return out;
  }
}
