package io.modelgate.gateway.deploy;

import java.io.IOException;

/** Makes the image a deployment names runnable here: the seam between the API and where images come from. */
public interface ImageLookup {
    /**
     * Returns once {@code image} is in the store (found there, or pulled from the registry it names); otherwise
     * throws a {@link io.modelgate.gateway.problem.ProblemException} naming the field {@code image}.
     */
    void require(String image) throws IOException;
}
