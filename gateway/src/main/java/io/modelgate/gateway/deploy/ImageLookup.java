package io.modelgate.gateway.deploy;

import java.io.IOException;
import java.util.Optional;

/** Makes the image a deployment names runnable here: the seam between the API and where images come from. */
public interface ImageLookup {
    /**
     * Returns the manifest digest of {@code image} once it is in the store (found there, or pulled from the registry
     * it names); otherwise throws a {@link io.modelgate.gateway.problem.ProblemException} naming the field
     * {@code image}.
     */
    String require(String image) throws IOException;

    /** The manifest digest the reference names in the store now; empty when it is not there. */
    Optional<String> digest(String image) throws IOException;
}
