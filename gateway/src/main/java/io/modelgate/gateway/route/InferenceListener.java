package io.modelgate.gateway.route;

import io.modelgate.gateway.problem.Problem;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.AbstractVerticle;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The data plane on a port of its own ({@code modelgate.inference.port}), served by Vert.x directly on the gateway's
 * event loops: the same paths as the main port ({@link InferenceRoutes#handle}) and nothing else, so that a firewall
 * can open inference and keep the management API, metrics and OpenAPI document (main port) private. Off unless
 * configured; port 0 takes a free one ({@link #port()}).
 */
@Singleton
public class InferenceListener {
    private static final Logger LOG = Logger.getLogger(InferenceListener.class);
    private static final long START_TIMEOUT_SECONDS = 30;
    /**
     * Vert.x shares one free port among the servers that listen on the same negative port; Quarkus' own servers
     * use -1 and -2 for theirs, so a port 0 here takes another, or it would share the main port.
     */
    private static final int SHARED_FREE_PORT = -0x4d47;

    private final Vertx vertx;
    private final InferenceRoutes routes;
    private final Optional<Integer> configuredPort;
    private final String host;
    private final HttpServerOptions options;
    private volatile int boundPort = -1;

    public InferenceListener(Vertx vertx, InferenceRoutes routes,
                             @ConfigProperty(name = "modelgate.inference.port") Optional<Integer> port,
                             @ConfigProperty(name = "modelgate.inference.host") Optional<String> host,
                             @ConfigProperty(name = "quarkus.http.host", defaultValue = "0.0.0.0") String mainHost,
                             @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080") int mainPort,
                             @ConfigProperty(name = "quarkus.http.idle-timeout", defaultValue = "30M") Duration idleTimeout,
                             @ConfigProperty(name = "quarkus.http.limits.max-header-size", defaultValue = "20K") MemorySize maxHeaders,
                             @ConfigProperty(name = "quarkus.http.limits.max-initial-line-length", defaultValue = "4096") int maxLine) {
        this.vertx = vertx;
        this.routes = routes;
        this.configuredPort = port;
        this.host = host.orElse(mainHost);
        port.ifPresent(p -> {
            if (p < 0 || p > 65_535) {
                throw new IllegalArgumentException("modelgate.inference.port must be 0-65535 (0: any free port), got " + p);
            }
            if (p != 0 && p == mainPort) {
                throw new IllegalArgumentException("modelgate.inference.port " + p + " is the main port (quarkus.http.port): "
                        + "the data plane is served there already; give the inference port a port of its own");
            }
        });
        // the main port's limits and idle timeout, so that a call the main port takes is taken here too
        this.options = new HttpServerOptions().setHost(this.host).setTcpNoDelay(true).setCompressionSupported(false)
                .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, idleTimeout.toSeconds()))
                .setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setMaxHeaderSize((int) Math.min(Integer.MAX_VALUE, maxHeaders.asLongValue()))
                .setMaxInitialLineLength(maxLine);
    }

    /** The port the data plane listens on by itself, once started; empty when none is configured. */
    public OptionalInt port() {
        return boundPort < 0 ? OptionalInt.empty() : OptionalInt.of(boundPort);
    }

    void start(@Observes StartupEvent started) throws InterruptedException {
        if (configuredPort.isEmpty()) {
            return;
        }
        Handler<HttpServerRequest> serve = request -> {
            if (!routes.handle(request)) {
                InferenceRoutes.problem(request, Problem.of(404, "Not found", "no data-plane path '" + request.path()
                        + "': the inference port serves /v2/health/live|ready, /v2/models/{name}[/infer|/ready] and "
                        + "/models/{name}/proxy/... only; the management API, metrics and OpenAPI document are on the "
                        + "gateway's main port"));
            }
        };
        // one server per event loop, as on the main port, all on the same port: Vert.x hands each new connection to
        // the next
        int loops = 0;
        for (var ignored : vertx.nettyEventLoopGroup()) {
            loops++;
        }
        int port = configuredPort.get() == 0 ? SHARED_FREE_PORT : configuredPort.get();
        AtomicInteger bound = new AtomicInteger(-1);
        try {
            // not undeployed at shutdown: the servers close with Vert.x, as the main port's do (undeploying would
            // also close the replica clients an event loop first made on one of these servers' contexts)
            vertx.deployVerticle(() -> new AbstractVerticle() {
                        @Override
                        public void start(Promise<Void> listening) {
                            vertx.createHttpServer(options).requestHandler(serve).listen(port).onSuccess(s -> {
                                bound.set(s.actualPort());
                                listening.complete();
                            }).onFailure(listening::fail);
                        }
                    }, new DeploymentOptions().setInstances(Math.max(1, loops)))
                    .toCompletionStage().toCompletableFuture().get(START_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new IllegalStateException("cannot listen for inference on " + host + ":" + configuredPort.get()
                    + " (modelgate.inference.port): " + cause.getMessage(), cause);
        }
        boundPort = bound.get();
        LOG.infof("inference (the /v2 and /models/{name}/proxy paths only) also on http://%s:%d", host, boundPort);
    }
}
