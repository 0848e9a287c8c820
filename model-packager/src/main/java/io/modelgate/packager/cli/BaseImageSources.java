package io.modelgate.packager.cli;

import io.modelgate.packager.archive.Archives;
import io.modelgate.packager.archive.LoadedImage;
import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageIndex;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.pack.BaseImages;
import io.modelgate.packager.registry.ProgressListener;
import io.modelgate.packager.registry.RegistryClient;
import io.modelgate.packager.registry.Transport;
import io.modelgate.packager.store.ImageNotFoundException;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * Where {@code base:} in model.yaml can point, as skopeo names transports: {@code scratch}, an image in the
 * store, {@code oci:DIR[:TAG]} (an OCI layout directory), {@code oci-archive:FILE[:TAG]},
 * {@code docker-archive:FILE[:NAME:TAG]}, or a registry reference (pulled). Images read from a layout or an
 * archive are loaded into the store first, as {@code docker load} would.
 */
final class BaseImageSources implements BaseImages {
    private final Main main;
    private final boolean plainHttp;
    private final ProgressListener progress;

    private BaseImageSources(Main main, boolean plainHttp, ProgressListener progress) {
        this.main = main;
        this.plainHttp = plainHttp;
        this.progress = progress;
    }

    /** Bases for the CLI; registry bases are pulled over plain HTTP when asked (or configured per registry). */
    static BaseImages forCli(Main main, boolean plainHttp, ProgressListener progress) {
        return new BaseImageSources(main, plainHttp, progress);
    }

    @Override
    public StoredImage resolve(ImageStore store, String base) throws IOException {
        if (base.startsWith("oci:")) {
            String[] pathAndTag = splitTag(base.substring(4));
            Path dir = Path.of(pathAndTag[0]);
            if (!Files.isRegularFile(dir.resolve("index.json"))) {
                throw new NoSuchFileException(dir + "/index.json (base '" + base + "' must name an OCI image layout directory)");
            }
            Digest wanted = layoutManifest(dir, pathAndTag[1], base);
            try (InputStream tar = tarOf(dir)) {
                List<LoadedImage> loaded = Archives.of(store).load(tar, base);
                LoadedImage image = loaded.stream().filter(l -> l.manifest().digest().equals(wanted)).findFirst()
                        .orElseThrow(() -> new ImageNotFoundException("base '" + base + "': manifest " + wanted + " was not loaded"));
                return readBack(store, image, base);
            }
        }
        if (base.startsWith("oci-archive:") || base.startsWith("docker-archive:")) {
            String rest = base.substring(base.indexOf(':') + 1);
            String[] pathAndTag = splitTag(rest);
            try (InputStream in = Files.newInputStream(Path.of(pathAndTag[0]))) {
                return pick(store, Archives.of(store).load(in, base), pathAndTag[1], base);
            }
        }
        var inStore = store.find(base);
        if (inStore.isPresent()) {
            return inStore.get();
        }
        ImageRef ref = ImageRef.parse(base);
        if (ref.registry() == null) {
            return BaseImages.storeOnly().resolve(store, base);
        }
        RegistryClient.Builder client = RegistryClient.to(ref.registryHost()).home(main.home());
        if (plainHttp) {
            client.transport(Transport.PLAIN_HTTP);
        }
        return client.build().pull(store, ref, progress).image();
    }

    /** Splits "path:tag" at the first colon; a path with no colon has no tag. */
    private static String[] splitTag(String s) {
        int colon = s.indexOf(':');
        return colon < 0 ? new String[] {s, null} : new String[] {s.substring(0, colon), s.substring(colon + 1)};
    }

    private static StoredImage pick(ImageStore store, List<LoadedImage> loaded, String tag, String base) throws IOException {
        List<LoadedImage> matching = tag == null ? loaded : loaded.stream()
                .filter(l -> l.ref() != null && (l.ref().toString().equals(tag) || tag.equals(l.ref().tag())
                        || l.ref().equals(ImageRef.parse(tag)))).toList();
        if (matching.isEmpty()) {
            throw new ImageNotFoundException("base '" + base + "' holds no image" + (tag == null ? "" : " tagged '" + tag + "'"));
        }
        if (matching.size() > 1) {
            throw new IllegalArgumentException("base '" + base + "' holds " + matching.size() + " images; name one with :TAG");
        }
        return readBack(store, matching.get(0), base);
    }

    private static StoredImage readBack(ImageStore store, LoadedImage image, String base) throws IOException {
        String name = image.ref() != null ? image.ref().name() : "base";
        return store.find(name + "@" + image.manifest().digest())
                .orElseThrow(() -> new ImageNotFoundException("base '" + base + "' was loaded but cannot be read back"));
    }

    /** The manifest an OCI layout's index.json tags {@code tag} (org.opencontainers.image.ref.name), or its only one. */
    private static Digest layoutManifest(Path dir, String tag, String base) throws IOException {
        ImageIndex index = ImageIndex.parse(Files.readAllBytes(dir.resolve("index.json")));
        List<Descriptor> candidates = tag == null ? index.manifests() : index.manifests().stream()
                .filter(d -> tag.equals(d.annotations().get(ImageStore.REF_NAME))).toList();
        if (candidates.size() != 1) {
            throw new ImageNotFoundException("base '" + base + "': the layout has " + candidates.size() + " images"
                    + (tag == null ? "; name one with oci:DIR:TAG" : " tagged '" + tag + "'"));
        }
        return candidates.get(0).digest();
    }

    /** Streams a directory as a tar, so an OCI layout directory reads through the same checks as an archive. */
    private static InputStream tarOf(Path dir) throws IOException {
        PipedInputStream in = new PipedInputStream(1 << 16);
        PipedOutputStream out = new PipedOutputStream(in);
        CompletableFuture.runAsync(() -> {
            try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
                tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
                try (Stream<Path> walk = Files.walk(dir)) {
                    for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                        TarArchiveEntry e = new TarArchiveEntry(p.toFile(), dir.relativize(p).toString());
                        tar.putArchiveEntry(e);
                        Files.copy(p, tar);
                        tar.closeArchiveEntry();
                    }
                }
            } catch (IOException e) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // the reader sees a truncated tar and says so
                }
            }
        });
        return in;
    }
}
