package io.modelgate.gateway.deploy;

import java.io.IOException;

/** Whether an image a deployment names can be run here: the seam between the API and the image store. */
public interface ImageLookup {
    boolean exists(String image) throws IOException;
}
