package io.modelgate.runtime.snapshot;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.layer.Layer;
import io.modelgate.packager.layer.Layers;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Images in a store made of given layer tars (bottom first), as SampleImages does for file maps. */
final class TestImages {
    private TestImages() {
    }

    static StoredImage create(ImageStore store, String ref, byte[]... tars) throws IOException {
        List<Layer> layers = new ArrayList<>();
        for (byte[] tar : tars) {
            layers.add(Layers.store(store, new ByteArrayInputStream(tar), Compression.GZIP));
        }
        return create(store, ref, layers.stream().map(Layer::blob).toList(), layers.stream().map(Layer::diffId).toList());
    }

    /** An image whose config lists {@code diffIds}, right or wrong, for the given layer blobs. */
    static StoredImage create(ImageStore store, String ref, List<Descriptor> blobs, List<Digest> diffIds) throws IOException {
        ImageConfig config = new ImageConfig("1970-01-01T00:00:00Z", null, Descriptor.Platform.hostArchitecture(), "linux", null,
                ImageConfig.RuntimeConfig.empty().withCmd(List.of("/bin/sh")), new ImageConfig.RootFs("layers", diffIds), List.of());
        byte[] configBytes = Json.write(config);
        Digest configDigest = store.writeBlob(configBytes);
        ImageManifest manifest = ImageManifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length), blobs);
        return store.putImage(ImageRef.parse(ref), Json.write(manifest), MediaTypes.OCI_MANIFEST);
    }
}
