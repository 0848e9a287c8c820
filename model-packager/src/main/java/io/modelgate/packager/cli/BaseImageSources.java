package io.modelgate.packager.cli;

import io.modelgate.packager.pack.BaseImages;

/** Where the CLI finds a base image named in model.yaml: the store, then (by prefix) archives and registries. */
final class BaseImageSources {
    private BaseImageSources() {
    }

    static BaseImages forCli(Main main) {
        return BaseImages.storeOnly();
    }
}
