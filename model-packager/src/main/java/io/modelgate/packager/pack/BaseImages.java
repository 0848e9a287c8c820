package io.modelgate.packager.pack;

import io.modelgate.packager.store.ImageNotFoundException;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;

/** Finds the base image model.yaml names and makes sure it is in the store ({@code scratch} means none). */
@FunctionalInterface
public interface BaseImages {
    /** The base image, now in {@code store}. */
    StoredImage resolve(ImageStore store, String base) throws IOException;

    /** Bases that are already in the store. */
    static BaseImages storeOnly() {
        return (store, base) -> store.find(base).orElseThrow(() -> new ImageNotFoundException(
                "base image '" + base + "' is not in the store (pull or load it first, or use 'scratch')"));
    }
}
