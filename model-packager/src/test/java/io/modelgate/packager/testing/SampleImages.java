package io.modelgate.packager.testing;

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
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Small images written straight through the store API, for tests that need an image but not the pack command. */
public final class SampleImages {
    private SampleImages() {
    }

    /** A one-layer gzip image holding {@code files} (path → UTF-8 content), tagged {@code ref}. */
    public static StoredImage create(ImageStore store, String ref, Map<String, String> files) throws IOException {
        return create(store, ref, List.of(new LayerSpec(files, Compression.GZIP)));
    }

    /** One layer: its files and how its blob is compressed. */
    public record LayerSpec(Map<String, String> files, Compression compression) {
    }

    /** An image with the given layers, bottom first, tagged {@code ref}. */
    public static StoredImage create(ImageStore store, String ref, List<LayerSpec> layers) throws IOException {
        List<Descriptor> blobs = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        for (LayerSpec spec : layers) {
            Layer layer = Layers.store(store, new ByteArrayInputStream(tar(spec.files())), spec.compression());
            blobs.add(layer.blob());
            diffIds.add(layer.diffId());
        }
        ImageConfig config = new ImageConfig("1970-01-01T00:00:00Z", null, Descriptor.Platform.hostArchitecture(), "linux", null,
                ImageConfig.RuntimeConfig.empty().withCmd(List.of("/bin/sh")), new ImageConfig.RootFs("layers", diffIds), List.of());
        byte[] configBytes = Json.write(config);
        Digest configDigest = store.writeBlob(configBytes);
        ImageManifest manifest = ImageManifest.oci(Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length), blobs);
        return store.putImage(ImageRef.parse(ref), Json.write(manifest), MediaTypes.OCI_MANIFEST);
    }

    /** A deterministic tar: entries sorted, regular files 0644, mtime 0, owned by 0:0. */
    public static byte[] tar(Map<String, String> files) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, String> f : new TreeMap<>(files).entrySet()) {
                byte[] content = f.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry e = new TarArchiveEntry(f.getKey());
                e.setMode(0100644);
                e.setIds(0, 0);
                e.setUserName("");
                e.setGroupName("");
                e.setLastModifiedTime(FileTime.fromMillis(0));
                e.setSize(content.length);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
