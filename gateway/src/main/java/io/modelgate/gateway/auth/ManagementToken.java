package io.modelgate.gateway.auth;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * The bearer token management calls must present: config {@code modelgate.token} (env MODELGATE_TOKEN), else one
 * generated at first start and kept in {@code <home>/token}. Resolved at start-up so that it is printed then.
 */
@Singleton
public class ManagementToken {
    private final byte[] token;

    public ManagementToken(@ConfigProperty(name = "modelgate.token") Optional<String> configured,
                           @ConfigProperty(name = "modelgate.home") Path home) {
        try {
            String t = configured.filter(s -> !s.isBlank()).orElse(null);
            if (t == null) {
                t = TokenFile.loadOrCreate(home, generated -> System.out.println("modelgate: generated a management "
                        + "token (kept in " + home.resolve(TokenFile.NAME) + ", shown only now): " + generated));
            }
            this.token = t.getBytes(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    void onStart(@Observes StartupEvent started) {
        // resolving the bean is the point: the token exists (and is shown) before the first request
    }

    /** Compares in constant time. */
    public boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(token, presented.getBytes(StandardCharsets.UTF_8));
    }
}
