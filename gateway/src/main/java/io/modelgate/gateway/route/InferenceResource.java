package io.modelgate.gateway.route;

import io.modelgate.gateway.metrics.GatewayMetrics;
import io.modelgate.gateway.metrics.GatewayMetrics.Outcome;
import io.modelgate.gateway.problem.Problem;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * {@code POST /v2/models/{name}/infer} (Open Inference Protocol) proxied through the {@link Router} to a replica
 * over a shared, pooled keep-alive HTTP/1.1 client.
 *
 * <p>Not done yet: the answer is buffered, not streamed; the other V2 paths and /models/{name}/proxy/** are not
 * routed.
 */
@Path("/v2/models/{name}/infer")
public class InferenceResource {
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);

    private final Router router;
    private final GatewayMetrics metrics;

    public InferenceResource(Router router, GatewayMetrics metrics) {
        this.router = router;
        this.metrics = metrics;
    }

    @POST
    @Operation(summary = "Run inference on a deployed model (KServe V2)")
    public Response infer(@PathParam("name") String name, @HeaderParam(HttpHeaders.CONTENT_TYPE) String contentType,
                          byte[] body) throws InterruptedException {
        long start = System.nanoTime();
        RouteResult<HttpResponse<byte[]>> result = router.route(name, endpoint -> send(endpoint, contentType, body));
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        if (result instanceof RouteResult.Served<HttpResponse<byte[]>> served) {
            metrics.request(name, Outcome.SERVED, took);
            HttpResponse<byte[]> answer = served.value();
            return Response.status(answer.statusCode()).entity(answer.body())
                    .type(answer.headers().firstValue("content-type").orElse(MediaType.APPLICATION_JSON)).build();
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

    private static HttpResponse<byte[]> send(Endpoint endpoint, String contentType, byte[] body)
            throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(endpoint.base().resolve("infer")).timeout(ANSWER_TIMEOUT)
                .header("Content-Type", contentType == null ? MediaType.APPLICATION_JSON : contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body == null ? new byte[0] : body)).build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (ConnectException | HttpConnectTimeoutException e) {
            throw new ReplicaCall.NotReachedException("cannot connect to replica " + endpoint.id() + " at "
                    + endpoint.base() + ": " + e, e);
        }
    }
}
