package io.modelgate.gateway.route;

import io.netty.channel.Channel;
import io.quarkus.runtime.StartupEvent;
import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.Vertx;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The data plane on a port of its own ({@code modelgate.inference.port}): the same paths as the main port
 * ({@link InferenceRoutes#target}) and nothing else, so that a firewall can open inference and keep the management API,
 * metrics and OpenAPI document (main port) private, served by {@link InferenceServer} (HTTP/1.1, the gateway's
 * cheapest path per call). Off unless configured; port 0 takes a free one ({@link #port()}).
 */
@Singleton
public class InferenceListener {
    private static final Logger LOG = Logger.getLogger(InferenceListener.class);

    private final Vertx vertx;
    private final InferenceRoutes routes;
    private final Optional<Integer> configuredPort;
    private final String host;
    private final Duration idleTimeout;
    private final int maxHeaderSize;
    private final int maxInitialLine;
    /** As many event loops as the main port's servers use: quarkus.http.io-threads, else all of Vert.x's. */
    private final int loops;
    private volatile int boundPort = -1;

    public InferenceListener(Vertx vertx, InferenceRoutes routes,
                             @ConfigProperty(name = "modelgate.inference.port") Optional<Integer> port,
                             @ConfigProperty(name = "modelgate.inference.host") Optional<String> host,
                             @ConfigProperty(name = "quarkus.http.host", defaultValue = "0.0.0.0") String mainHost,
                             @ConfigProperty(name = "quarkus.http.port", defaultValue = "8080") int mainPort,
                             @ConfigProperty(name = "quarkus.http.idle-timeout", defaultValue = "30M") Duration idleTimeout,
                             @ConfigProperty(name = "quarkus.http.limits.max-header-size", defaultValue = "20K") MemorySize maxHeaders,
                             @ConfigProperty(name = "quarkus.http.limits.max-initial-line-length", defaultValue = "4096") int maxLine,
                             @ConfigProperty(name = "quarkus.http.io-threads") Optional<Integer> ioThreads) {
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
        this.idleTimeout = idleTimeout;
        this.maxHeaderSize = (int) Math.min(Integer.MAX_VALUE, maxHeaders.asLongValue());
        this.maxInitialLine = maxLine;
        this.loops = ioThreads.orElse(Integer.MAX_VALUE);
    }

    /** The port the data plane listens on by itself, once started; empty when none is configured. */
    public OptionalInt port() {
        return boundPort < 0 ? OptionalInt.empty() : OptionalInt.of(boundPort);
    }

    void start(@Observes StartupEvent started) throws InterruptedException {
        if (configuredPort.isEmpty()) {
            return;
        }
        InferenceServer server = new InferenceServer(vertx, routes, loops, maxInitialLine, maxHeaderSize, idleTimeout);
        try {
            // on Vert.x's event loops: it closes with them, as the main port does
            Channel channel = server.listen(host, configuredPort.get());
            boundPort = ((InetSocketAddress) channel.localAddress()).getPort();
        } catch (Exception e) { // a bind failure comes as the transport's own (checked) exception
            throw new IllegalStateException("cannot listen for inference on " + host + ":" + configuredPort.get()
                    + " (modelgate.inference.port): " + e.getMessage(), e);
        }
        LOG.infof("inference (the /v2 and /models/{name}/proxy paths only) also on http://%s:%d", host, boundPort);
    }
}
