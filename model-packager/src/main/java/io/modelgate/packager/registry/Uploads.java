package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Optional;

/** Checks shared by the requests that store content in a registry. */
final class Uploads {
    static final String CONTENT_DIGEST = "Docker-Content-Digest";

    private Uploads() {
    }

    /** The registry's Docker-Content-Digest, when it sent one we can read (sha256). */
    static Optional<Digest> contentDigest(HttpResponse<?> response) {
        return response.headers().firstValue(CONTENT_DIGEST).flatMap(text -> {
            try {
                return Optional.of(Digest.parse(text.trim()));
            } catch (IllegalArgumentException other) {
                return Optional.empty(); // another algorithm: nothing we can compare
            }
        });
    }

    /** A registry that says it stored something else than what we sent has lost or changed our bytes. */
    static void requireDigest(HttpResponse<InputStream> response, Digest expected, String what) {
        contentDigest(response).ifPresent(actual -> {
            if (!actual.equals(expected)) {
                throw new RegistryException("registry stored the " + what + " of " + expected + " under " + actual
                        + "; it changed the content on the way");
            }
        });
    }
}
