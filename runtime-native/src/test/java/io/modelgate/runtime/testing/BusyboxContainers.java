package io.modelgate.runtime.testing;

import io.modelgate.packager.archive.Archives;
import io.modelgate.packager.archive.ImportOptions;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.testing.BusyboxRootfs;
import io.modelgate.runtime.container.ContainerInfo;
import io.modelgate.runtime.container.Containers;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/** Containers of model-packager's busybox rootfs: the image in a home's store, and every container removed after. */
public final class BusyboxContainers {
    private BusyboxContainers() {
    }

    /** Imports the busybox rootfs into {@code containers}' store as the image {@code ref}. */
    public static void importImage(Containers containers, String ref) throws IOException {
        ByteArrayOutputStream rootfs = new ByteArrayOutputStream();
        BusyboxRootfs.create().writeTo(rootfs);
        Archives.of(containers.store()).importRootfs(new ByteArrayInputStream(rootfs.toByteArray()), "busybox",
                ImageRef.parse(ref), ImportOptions.reproducible());
    }

    /** Removes (by force) every container of the home, running or not; nothing to do for null. */
    public static void removeAll(Containers containers) throws IOException, InterruptedException {
        if (containers != null) {
            for (ContainerInfo c : containers.list(true)) {
                containers.remove(c.id(), true);
            }
        }
    }
}
