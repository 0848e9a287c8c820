package io.modelgate.gateway.route;

import io.modelgate.gateway.metrics.GatewayMetrics;
import io.modelgate.gateway.metrics.GatewayMetrics.Outcome;
import io.modelgate.gateway.problem.Problem;
import io.smallrye.mutiny.infrastructure.Infrastructure;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import jakarta.inject.Singleton;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code POST /v2/models/{name}/infer} (Open Inference Protocol) proxied through the {@link Router} to a replica
 * over a Vert.x keep-alive HTTP/1.1 connection pool, without blocking: the method runs on the event loop and answers
 * when the replica has; only a request that has to wait for a replica (queue, cold start) holds a worker thread.
 *
 * <p>Not done yet: the answer is buffered, not streamed; the other V2 paths and /models/{name}/proxy/** are not
 * routed.
 */
@Path("/v2/models/{name}/infer")
@Singleton
public class InferenceResource {
    private static final int CONNECT_TIMEOUT_MS = 2_000;
    /** No byte from the replica for this long fails the call (the whole answer had 60 s before; same bound). */
    private static final long ANSWER_IDLE_TIMEOUT_MS = 60_000;
    /** Below the replicas' idle close (the JDK server's 30 s), so a pooled connection is not reused as it closes. */
    private static final int KEEP_ALIVE_SECONDS = 20;
    /** Connections per replica; callers beyond it wait in the client's pool queue, not in a thread. */
    private static final int CONNECTIONS_PER_REPLICA = 128;
    private static final Buffer EMPTY = Buffer.buffer();

    private final Router router;
    private final GatewayMetrics metrics;
    private final Vertx vertx;
    /** For calls started off the event loop (after a wait on a worker); it hops to its connections' loops. */
    private final HttpClient shared;
    /**
     * One client per event loop thread: a pooled connection lives on the loop that opened it, so a call started on
     * a loop only ever borrows that loop's connections and its answer needs no hop to another thread.
     */
    private final Map<Thread, HttpClient> perLoop = new ConcurrentHashMap<>();

    public InferenceResource(Router router, GatewayMetrics metrics, Vertx vertx) {
        this.router = router;
        this.metrics = metrics;
        this.vertx = vertx;
        this.shared = newClient();
    }

    private HttpClient newClient() {
        return vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1)
                        .setKeepAlive(true).setKeepAliveTimeout(KEEP_ALIVE_SECONDS).setPipelining(false)
                        .setConnectTimeout(CONNECT_TIMEOUT_MS).setTcpNoDelay(true),
                new PoolOptions().setHttp1MaxSize(CONNECTIONS_PER_REPLICA));
    }

    private HttpClient client() {
        return Context.isOnEventLoopThread() ? perLoop.computeIfAbsent(Thread.currentThread(), t -> newClient()) : shared;
    }

    @POST
    @Operation(summary = "Run inference on a deployed model (KServe V2)")
    public CompletionStage<Response> infer(@PathParam("name") String name,
                                           @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType, byte[] body) {
        long start = System.nanoTime();
        Buffer payload = body == null ? EMPTY : Buffer.buffer(body);
        String type = contentType == null ? MediaType.APPLICATION_JSON : contentType;
        return router.route(name, endpoint -> send(endpoint, type, payload), Infrastructure.getDefaultWorkerPool())
                .thenApply(result -> answer(name, result, Duration.ofNanos(System.nanoTime() - start)));
    }

    private Response answer(String name, RouteResult<Answer> result, Duration took) {
        if (result instanceof RouteResult.Served<Answer> served) {
            metrics.request(name, Outcome.SERVED, took);
            Answer answer = served.value();
            return Response.status(answer.status()).entity(answer.body().getBytes())
                    .type(answer.contentType() == null ? MediaType.APPLICATION_JSON : answer.contentType())
                    .header(Router.REVISION_HEADER, served.endpoint().revision() > 0 ? served.endpoint().revision() : null)
                    .build();
        }
        if (result instanceof RouteResult.Overloaded<?> o) {
            metrics.request(name, Outcome.OVERLOADED, took);
            return Problem.of(503, "Overloaded", o.reason()).retryAfter(o.retryAfter()).toResponse();
        }
        if (result instanceof RouteResult.NoReplicas<?> n) {
            metrics.request(name, Outcome.NO_REPLICAS, took);
            return Problem.of(503, "No ready replica", n.reason()).retryAfter(n.retryAfter()).toResponse();
        }
        if (result instanceof RouteResult.Unreachable<?> u) {
            metrics.request(name, Outcome.UNREACHABLE, took);
            return Problem.of(502, "Replicas unreachable", u.reason()).toResponse();
        }
        if (result instanceof RouteResult.Failed<?> f) {
            metrics.request(name, Outcome.FAILED, took);
            return Problem.of(502, "Replica failed", f.reason()).toResponse();
        }
        return Problem.of(404, "Not deployed", "no model '" + name + "' is deployed (GET /models lists them)")
                .toResponse();
    }

    /** One exchange with the replica; a failure to get a connection means the request never reached it. */
    private CompletionStage<Answer> send(Endpoint endpoint, String contentType, Buffer payload) {
        URI target = endpoint.base().resolve("infer");
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost(target.getHost())
                .setPort(target.getPort() == -1 ? 80 : target.getPort()).setURI(target.getRawPath())
                .setIdleTimeout(ANSWER_IDLE_TIMEOUT_MS).putHeader(HttpHeaders.CONTENT_TYPE, contentType);
        return client().request(options)
                .recover(e -> Future.failedFuture(new ReplicaCall.NotReachedException("cannot connect to replica "
                        + endpoint.id() + " at " + endpoint.base() + ": " + e, e)))
                .compose(request -> request.send(payload))
                .compose(response -> response.body().map(bytes ->
                        new Answer(response.statusCode(), response.getHeader(HttpHeaders.CONTENT_TYPE), bytes)))
                .toCompletionStage();
    }

    /** The replica's answer, buffered. */
    private record Answer(int status, String contentType, Buffer body) {
    }
}
