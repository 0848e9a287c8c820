package io.modelgate.gateway.route;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The inference port's configuration: off when unset, and refusals that name the setting. */
class InferenceListenerTest {
    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }

    private InferenceListener listener(Optional<Integer> port) {
        return new InferenceListener(vertx, null, port, Optional.of("127.0.0.1"), "0.0.0.0", 8080,
                java.time.Duration.ofMinutes(30), new io.quarkus.runtime.configuration.MemorySize(java.math.BigInteger.valueOf(20_480)),
                4096, Optional.empty());
    }

    @Test
    void listens_nowhere_when_no_port_is_configured() throws InterruptedException {
        InferenceListener none = listener(Optional.empty());
        none.start(null);
        assertThat(none.port()).isEmpty();
    }

    @Test
    void refuses_a_port_out_of_range() {
        assertThatThrownBy(() -> listener(Optional.of(70_000))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("modelgate.inference.port must be 0-65535").hasMessageContaining("70000");
    }

    @Test
    void refuses_the_main_port() {
        assertThatThrownBy(() -> listener(Optional.of(8080))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("modelgate.inference.port 8080 is the main port (quarkus.http.port)");
    }

    @Test
    void a_port_taken_fails_the_start_naming_the_setting_and_the_address() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            InferenceListener listener = listener(Optional.of(taken.getLocalPort()));
            assertThatThrownBy(() -> listener.start(null)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot listen for inference on 127.0.0.1:" + taken.getLocalPort())
                    .hasMessageContaining("(modelgate.inference.port)");
            assertThat(listener.port()).isEmpty();
        }
    }
}
