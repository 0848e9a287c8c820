package io.modelgate.gateway.route;

import io.modelgate.gateway.problem.Problem;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
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

    private final Vertx vertx;
    private final InferenceRoutes routes;
    private final Optional<Integer> configuredPort;
    private final String host;
    private volatile int boundPort = -1;
    private volatile String deployment;

    public InferenceListener(Vertx vertx, InferenceRoutes routes,
                             @ConfigProperty(name = "modelgate.inference.port") Optional<Integer> port,
                             @ConfigProperty(name = "modelgate.inference.host") Optional<String> host,
                             @ConfigProperty(name = "quarkus.http.host", defaultValue = "0.0.0.0") String mainHost) {
        this.vertx = vertx;
        this.routes = routes;
        this.configuredPort = port;
        this.host = host.orElse(mainHost);
        port.ifPresent(p -> {
            if (p < 0 || p > 65_535) {
                throw new IllegalArgumentException("modelgate.inference.port must be 0-65535 (0: any free port), got " + p);
            }
        });
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
                InferenceRoutes.problem(request, Problem.of(404, "Not found", "the inference port serves /v2/... and "
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
        // Vert.x shares a port among servers listening on it (a negative port: one free port for all of them)
        int port = configuredPort.get() == 0 ? -1 : configuredPort.get();
        AtomicInteger bound = new AtomicInteger(-1);
        HttpServerOptions options = new HttpServerOptions().setHost(host).setTcpNoDelay(true)
                .setCompressionSupported(false);
        try {
            deployment = vertx.deployVerticle(() -> new AbstractVerticle() {
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

    void stop(@Observes ShutdownEvent stopping) {
        String id = deployment;
        if (id != null) {
            vertx.undeploy(id); // stops accepting; Vert.x itself closes with the application
        }
    }
}
