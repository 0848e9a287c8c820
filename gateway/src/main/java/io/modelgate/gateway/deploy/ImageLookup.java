package io.modelgate.gateway.deploy;

import java.io.IOException;
import java.util.Optional;

/** Whether an image a deployment names can be run here: the seam between the API and the image store. */
public interface ImageLookup {
    /** The manifest digest the reference names now; empty when the image is not in the store. */
    Optional<String> digest(String image) throws IOException;

    default boolean exists(String image) throws IOException {
        return digest(image).isPresent();
    }
}
