package io.modelgate.gateway.route;

import io.modelgate.gateway.auth.ManagementToken;
import io.modelgate.gateway.metrics.GatewayMetrics;
import io.modelgate.gateway.metrics.GatewayMetrics.Outcome;
import io.modelgate.gateway.problem.Problem;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The data plane, served straight on Vert.x Web (no JAX-RS on the hot path): the Open Inference Protocol paths
 * {@code POST /v2/models/{name}/infer}, {@code GET /v2/models/{name}}, {@code GET /v2/models/{name}/ready},
 * {@code GET /v2/health/live|ready}, and {@code /models/{name}/proxy/**} (any method and path, passed to a replica).
 * Calls go through the {@link Router} to a replica and are streamed both ways by {@link ReplicaProxy}; refusals are
 * problem+json. With {@code modelgate.inference.auth=token} the model paths need the management bearer token.
 * The OpenAPI document lists these paths from {@code META-INF/openapi.yaml}. The same routes are served on the main
 * port and, when one is configured, on the inference port ({@link InferenceListener}).
 */
@Singleton
public class InferenceRoutes {
    private static final String BEARER = "Bearer ";
    private static final String INFER = "infer";
    private static final String MODELS_V2 = "/v2/models/";
    private static final String MODELS = "/models/";
    private static final String PROXY = "/proxy";
    private static final String PROXIED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS";

    private final Router router;
    private final GatewayMetrics metrics;
    private final ManagementToken token;
    private final boolean tokenRequired;
    private final ReplicaProxy proxy;

    public InferenceRoutes(Router router, GatewayMetrics metrics, Vertx vertx, ManagementToken token,
                           @ConfigProperty(name = "modelgate.inference.auth", defaultValue = "none") String auth,
                           @ConfigProperty(name = "modelgate.inference.timeout", defaultValue = "60s") Duration timeout,
                           @ConfigProperty(name = "modelgate.inference.connection-wait", defaultValue = "10s") Duration connectionWait,
                           @ConfigProperty(name = "modelgate.inference.replayable-body-bytes", defaultValue = "65536") int replayable,
                           @ConfigProperty(name = "modelgate.inference.connections-per-replica", defaultValue = "128") int connections,
                           @ConfigProperty(name = "modelgate.inference.max-body-bytes", defaultValue = "104857600") long maxBody) {
        this.router = router;
        this.metrics = metrics;
        this.token = token;
        this.tokenRequired = switch (auth.trim().toLowerCase(Locale.ROOT)) {
            case "none" -> false;
            case "token" -> true;
            default -> throw new IllegalArgumentException("modelgate.inference.auth must be 'none' or 'token', got '"
                    + auth + "'");
        };
        this.proxy = new ReplicaProxy(vertx, new ReplicaProxy.Settings(timeout, connectionWait, replayable, connections,
                maxBody));
    }

    ReplicaProxy.Settings settings() {
        return proxy.settings();
    }

    Router router() {
        return router;
    }

    boolean tokenRequired() {
        return tokenRequired;
    }

    /**
     * Where the data plane sits among the main port's routes: ahead of Quarkus' own request handling (its upload
     * limit is at -2, compression at 0, the REST endpoints at 10000), which the data plane does not use: it has its
     * own body limit and token check, and a call it does not take goes on to them unchanged.
     */
    static final int ROUTE_ORDER = -3;

    /**
     * The main port's router: the data plane beside the management API. One route without a path hands every request
     * to {@link #handle}, which reads the path itself; what it does not take (the management API under /models, the
     * OpenAPI document, metrics) goes on to the next route.
     */
    void routes(@Observes io.vertx.ext.web.Router web) {
        web.route().order(ROUTE_ORDER).handler(this::handleOrPass);
    }

    private void handleOrPass(RoutingContext ctx) {
        if (!handle(ctx.request())) {
            ctx.next();
        }
    }

    /**
     * Serves {@code request} when its path is one of the data plane's, and says whether it was: the paths are read
     * here rather than matched route by route (a router's patterns cost every call a regular expression or more).
     */
    boolean handle(HttpServerRequest request) {
        Target target = target(request.method().name(), request.path());
        switch (target.kind()) {
            case NONE -> {
                return false;
            }
            case FORWARD -> forward(request, target.model(), target.replicaPath());
            case READY -> modelReady(request, target.model());
            case HEALTH -> request.response().end();
            case NOT_ALLOWED -> notAllowed(request, target.allowed());
        }
        return true;
    }

    /** What a data-plane path asks for: see {@link #target}. */
    enum Kind { FORWARD, READY, HEALTH, NOT_ALLOWED, NONE }

    /**
     * A request's place in the data plane: passed to one of {@code model}'s replicas at the path {@code replicaPath}
     * gives for it, the model's readiness, the gateway's own health, a path that does not take the method (405,
     * {@code allowed} names those it takes), or no data-plane path at all.
     */
    record Target(Kind kind, String model, Function<Endpoint, String> replicaPath, String allowed) {
        private static final Target NONE = new Target(Kind.NONE, null, null, null);
        private static final Target HEALTH = new Target(Kind.HEALTH, null, null, null);

        static Target notAllowed(String allowed) {
            return new Target(Kind.NOT_ALLOWED, null, null, allowed);
        }
    }

    /**
     * Where a request with {@code method} and {@code rawPath} (as it came, without the query) goes; shared by the
     * main port's routes and the inference port's server, so both take the same paths.
     */
    static Target target(String method, String rawPath) {
        String path = normalized(rawPath);
        if (path.startsWith(MODELS_V2)) {
            int nameEnd = path.indexOf('/', MODELS_V2.length());
            String model = path.substring(MODELS_V2.length(), nameEnd < 0 ? path.length() : nameEnd);
            String rest = nameEnd < 0 ? "" : path.substring(nameEnd);
            if (model.isEmpty()) {
                return Target.NONE;
            }
            return switch (rest) {
                case "/infer" -> method.equals("POST") ? new Target(Kind.FORWARD, model, InferenceRoutes::inferPath, null)
                        : Target.notAllowed("POST");
                case "/ready" -> method.equals("GET") ? new Target(Kind.READY, model, null, null) : Target.notAllowed("GET");
                case "" -> method.equals("GET") ? new Target(Kind.FORWARD, model, InferenceRoutes::metadataPath, null)
                        : Target.notAllowed("GET");
                default -> Target.NONE;
            };
        }
        if (path.equals("/v2/health/live") || path.equals("/v2/health/ready")) {
            // the gateway itself: live while it runs, ready once it serves (models have their own readiness)
            return method.equals("GET") || method.equals("HEAD") ? Target.HEALTH : Target.notAllowed("GET, HEAD");
        }
        if (path.startsWith(MODELS)) {
            int nameEnd = path.indexOf('/', MODELS.length());
            if (nameEnd > MODELS.length() && path.startsWith(PROXY, nameEnd)
                    && (path.length() == nameEnd + PROXY.length() || path.charAt(nameEnd + PROXY.length()) == '/')) {
                // /models/{name}/proxy/a/b is /a/b on the replica, /models/{name}/proxy is /
                String rest = path.length() == nameEnd + PROXY.length() ? "/" : path.substring(nameEnd + PROXY.length());
                // CONNECT is a tunnel, not a request: the replica's connection would turn into raw bytes
                return method.equals("CONNECT") ? Target.notAllowed(PROXIED_METHODS)
                        : new Target(Kind.FORWARD, path.substring(MODELS.length(), nameEnd), endpoint -> rest, null);
            }
        }
        return Target.NONE;
    }

    /**
     * The path as it is routed, and passed on to the replica, normalised as RFC 3986 (6.2.2) says: percent-encoded
     * unreserved characters decoded, then {@code .} and {@code ..} segments removed (5.2.4); so
     * {@code /v2/models/ir%69s/infer} reaches iris, and {@code /models/a/proxy/../../b/proxy/x} model b's {@code /x},
     * never a's. Empty segments stay, as does every other escape ({@code %2F} is not a separator), malformed ones
     * included: the replica reads those. Most paths have nothing to normalise and are taken as they are.
     */
    static String normalized(String path) {
        if (path.indexOf('%') < 0 && !path.contains("/.")) {
            return path;
        }
        String decoded = decodeUnreserved(path);
        List<String> out = new ArrayList<>();
        String[] segments = decoded.substring(decoded.startsWith("/") ? 1 : 0).split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.equals(".") || segment.equals("..")) {
                if (segment.equals("..") && !out.isEmpty()) {
                    out.remove(out.size() - 1);
                }
                if (i == segments.length - 1) {
                    out.add(""); // "/a/b/.." is "/a/"
                }
            } else {
                out.add(segment);
            }
        }
        return "/" + String.join("/", out);
    }

    /** {@code %41} is {@code A}: the escapes of ALPHA, DIGIT, '-', '.', '_' and '~' decoded, all others kept. */
    private static String decodeUnreserved(String path) {
        if (path.indexOf('%') < 0) {
            return path;
        }
        StringBuilder b = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            int high = c == '%' && i + 2 < path.length() ? hex(path.charAt(i + 1)) : -1;
            int low = high >= 0 ? hex(path.charAt(i + 2)) : -1;
            char decoded = (char) (high * 16 + low);
            if (low >= 0 && (decoded >= 'A' && decoded <= 'Z' || decoded >= 'a' && decoded <= 'z'
                    || decoded >= '0' && decoded <= '9' || decoded == '-' || decoded == '.' || decoded == '_'
                    || decoded == '~')) {
                b.append(decoded);
                i += 2;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    /** An ASCII hex digit's value, else -1 (Character.digit would also take other scripts' digits). */
    private static int hex(char c) {
        return HexFormat.isHexDigit(c) ? HexFormat.fromHexDigit(c) : -1;
    }

    /** Routes one call to a replica; the answer is streamed back by the proxy, or a refusal written here. */
    private void forward(HttpServerRequest request, String model, Function<Endpoint, String> replicaPath) {
        long start = System.nanoTime();
        request.pause(); // the body stays unread until a replica is chosen (then it is piped there)
        if (!authorized(request)) {
            rejected(model);
            return;
        }
        Context loop = Vertx.currentContext();
        ReplicaProxy.Origin origin = ReplicaProxy.Origin.of(request);
        String query = request.query();
        Function<Endpoint, String> path = query == null ? replicaPath : e -> replicaPath.apply(e) + "?" + query;
        long length = ReplicaProxy.contentLength(request.getHeader(HttpHeaders.CONTENT_LENGTH));
        if (length > proxy.settings().maxBody()) {
            rejected(model);
            problem(request, tooLarge("the request body is " + length + " bytes"));
            return;
        }
        if (request.version() == HttpVersion.HTTP_1_1
                && "100-continue".equalsIgnoreCase(request.getHeader(HttpHeaders.EXPECT))) {
            request.response().writeContinue(); // the body is wanted: a client waiting for this sends it now
        }
        if (length == 0 || (length < 0 && !request.headers().contains(HttpHeaders.TRANSFER_ENCODING))) {
            route(model, loop, request, origin, Buffer.buffer(0), path, start);
        } else if (length > 0 && length <= proxy.settings().replayableBody()) {
            request.body().onComplete(read -> {
                if (read.succeeded()) {
                    route(model, loop, request, origin, read.result(), path, start);
                }
                // else the caller went away or sent less than it announced: nobody is left to answer
            });
            request.resume();
        } else {
            route(model, loop, request, origin, null, path, start);
        }
    }

    private void route(String model, Context loop, HttpServerRequest request, ReplicaProxy.Origin origin, Buffer body,
                       Function<Endpoint, String> path, long start) {
        CallTimeout timeout = timeout(model);
        router.route(model, endpoint -> proxy.forward(loop, request, origin, body, endpoint, path.apply(endpoint),
                        timeout.value(), tokenRequired), Infrastructure.getDefaultWorkerPool())
                .whenComplete((result, error) -> finish(model, request, result, error, start, timeout));
    }

    /** How long a replica may stay silent on one call, and whether that is the deployment's own timeout. */
    record CallTimeout(Duration value, boolean deploymentsOwn) {
    }

    /** {@code model}'s timeout for its replicas, else the data plane's (modelgate.inference.timeout). */
    CallTimeout timeout(String model) {
        Optional<Duration> own = router.replicaTimeout(model);
        return new CallTimeout(own.orElse(proxy.settings().timeout()), own.isPresent());
    }

    /** Answers the caller once the routed call is over. */
    private void finish(String model, HttpServerRequest request, RouteResult<ReplicaProxy.Exchange> result,
                        Throwable error, long start, CallTimeout timeout) {
        HttpServerResponse out = request.response();
        Problem problem = outcome(model, result, error, Duration.ofNanos(System.nanoTime() - start),
                out.headWritten(), out.getStatusCode(), timeout);
        if (problem != null) {
            problem(request, problem);
        } else if (out.headWritten() && !out.ended()) {
            out.reset(); // the answer began and broke off: the caller must not take it for complete
        }
    }

    /**
     * A routed call is over: it is counted, and this says what the caller is told. Null when the replica's answer is
     * the caller's ({@code status}, its head already written when {@code headWritten}): passed on whole, or begun and
     * broken off, when the caller's connection is reset. A 504 names the timeout the call had, and whose it was.
     */
    Problem outcome(String model, RouteResult<ReplicaProxy.Exchange> result, Throwable error, Duration took,
                    boolean headWritten, int status, CallTimeout timeout) {
        if (error != null) {
            return Problem.of(500, "Internal error", "routing the request for model '" + model + "' failed: " + error);
        } else if (result instanceof RouteResult.Served<ReplicaProxy.Exchange> served) {
            if (served.value() == ReplicaProxy.Exchange.ANSWERED) {
                metrics.request(model, Outcome.SERVED, took);
                metrics.answered(model, served.endpoint().revision(), status);
                return null;
            } else if (served.value() == ReplicaProxy.Exchange.BODY_TOO_LARGE) {
                metrics.rejected(model);
                return tooLarge("the request body, sent without a Content-Length, grew past the limit as it streamed");
            }
            metrics.request(model, Outcome.OVERLOADED, took);
            return Problem.of(503, "Overloaded", "model '" + model + "': no connection to replica "
                    + served.endpoint().id() + " came free within " + proxy.settings().connectionWait().toMillis()
                    + " ms; retry later").retryAfter(Duration.ofSeconds(1));
        } else if (result instanceof RouteResult.Overloaded<?> o) {
            metrics.request(model, Outcome.OVERLOADED, took);
            return Problem.of(503, "Overloaded", o.reason()).retryAfter(o.retryAfter());
        } else if (result instanceof RouteResult.NoReplicas<?> n) {
            metrics.request(model, Outcome.NO_REPLICAS, took);
            return Problem.of(503, "No ready replica", n.reason()).retryAfter(n.retryAfter());
        } else if (result instanceof RouteResult.Unreachable<?> u) {
            metrics.request(model, Outcome.UNREACHABLE, took);
            return Problem.of(502, "Replicas unreachable", u.reason());
        } else if (result instanceof RouteResult.Failed<?> f) {
            metrics.request(model, Outcome.FAILED, took);
            boolean timedOut = !headWritten && f.cause() instanceof TimeoutException;
            // a 5xx for the revision even when the replica's head went out: the answer broke off
            metrics.answered(model, f.endpoint().revision(), timedOut ? 504 : 502);
            if (headWritten) {
                return null;
            } else if (timedOut) {
                return Problem.of(504, "Replica timed out", "model '" + model + "': the replica sent nothing for "
                        + timeout.value().toMillis() + " ms (" + (timeout.deploymentsOwn() ? "the deployment's timeout"
                        : "modelgate.inference.timeout") + ")");
            }
            return Problem.of(502, "Replica failed", f.reason());
        }
        return notDeployed(model);
    }

    static Problem notDeployed(String model) {
        return Problem.of(404, "Not deployed", "no model '" + model + "' is deployed (GET /models lists them)");
    }

    /** Counts a refusal for a deployed model; a name nobody deployed gets no meters (they would grow without bound). */
    void rejected(String model) {
        if (router.stats(model).isPresent()) {
            metrics.rejected(model);
        }
    }

    Problem tooLarge(String what) {
        return Problem.of(413, "Request body too large", what + "; the largest passed on to a replica is "
                + proxy.settings().maxBody() + " bytes (modelgate.inference.max-body-bytes)");
    }

    /** 200 while the model has a replica taking traffic, 503 otherwise; never wakes a model scaled to zero. */
    private void modelReady(HttpServerRequest request, String model) {
        if (!authorized(request)) {
            return;
        }
        Problem notReady = readiness(model);
        if (notReady == null) {
            request.response().end();
        } else {
            problem(request, notReady);
        }
    }

    /** Null while {@code model} has a replica taking traffic, else why it is not ready (503) or not deployed (404). */
    Problem readiness(String model) {
        Optional<Router.PoolStats> known = router.stats(model);
        if (known.isEmpty()) {
            return notDeployed(model);
        }
        Router.PoolStats stats = known.get();
        return stats.eligible() > 0 ? null : Problem.of(503, "Not ready", "model '" + model + "' has no ready replica ("
                + stats.endpoints() + " known, none taking traffic); a request to it starts one")
                .retryAfter(Duration.ofSeconds(5));
    }

    private boolean authorized(HttpServerRequest request) {
        Problem refused = authorization(request.getHeader(HttpHeaders.AUTHORIZATION));
        if (refused != null) {
            problem(request, refused);
        }
        return refused == null;
    }

    /** Null when a model path may be called with this Authorization header (or none is needed), else the 401. */
    Problem authorization(String header) {
        if (!tokenRequired) {
            return null;
        }
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Problem.of(401, "Unauthorized", "inference calls need 'Authorization: Bearer <token>' "
                    + "(modelgate.inference.auth=token); the token is the management token");
        }
        if (!token.matches(header.substring(BEARER.length()).trim())) {
            return Problem.of(401, "Unauthorized", "the bearer token is not the gateway's token");
        }
        return null;
    }

    private static void notAllowed(HttpServerRequest request, String allowed) {
        request.response().putHeader(HttpHeaders.ALLOW, allowed);
        problem(request, Problem.of(405, "Method Not Allowed", "this path does not take "
                + request.method() + "; it takes " + allowed));
    }

    /** Writes a problem+json answer; an unread request body is not waited for (the connection closes after). */
    static void problem(HttpServerRequest request, Problem problem) {
        HttpServerResponse out = request.response();
        if (out.headWritten()) {
            out.reset();
            return;
        }
        out.setStatusCode(problem.status()).putHeader(HttpHeaders.CONTENT_TYPE, Problem.MEDIA_TYPE);
        if (problem.retryAfter() != null) {
            out.putHeader(HttpHeaders.RETRY_AFTER, Long.toString(Math.max(1, problem.retryAfter().toSeconds())));
        }
        if (problem.status() == 401) {
            out.putHeader("WWW-Authenticate", "Bearer realm=\"modelgate\"");
        }
        if (request.isEnded() || request.version() == HttpVersion.HTTP_2) {
            out.end(problem.toJson()); // HTTP/2: the stream ends; the connection's other streams go on
        } else {
            // the body stays unread: the connection is closed after the answer, or a client still sending it would
            // wait on full buffers (Connection: close alone does not end a kept-alive connection)
            out.putHeader(HttpHeaders.CONNECTION, "close");
            out.end(problem.toJson()).onComplete(written -> request.connection().close());
        }
    }

    /** The replica's infer path: its base (…/v2/models/{its name}/) plus "infer". */
    private static String inferPath(Endpoint endpoint) {
        return endpoint.base().getRawPath() + INFER;
    }

    /** The replica's model metadata path: its base without the trailing slash. */
    private static String metadataPath(Endpoint endpoint) {
        String base = endpoint.base().getRawPath();
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

}
