package io.modelgate.gateway.source;

import io.modelgate.gateway.deploy.ImageLookup;
import io.modelgate.gateway.problem.Problem;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.pack.BaseImages;
import io.modelgate.packager.registry.ProgressListener;
import io.modelgate.packager.registry.RegistryClient;
import io.modelgate.packager.registry.RegistryException;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * Where the images of deployments come from: the store, or the registry a reference names
 * ({@code 127.0.0.1:5000/iris:1}), pulled into the store as {@code modelgate pull} does, with the credentials
 * {@code modelgate login} stored and the registry settings of {@code <home>/config.json} (insecureRegistries for
 * plain HTTP). The pull happens before POST /models answers, so a reference that cannot be had is refused with a
 * problem naming {@code image}; the puller tags nothing unless every digest verified, so a failed pull leaves no
 * image behind.
 */
public final class ImageSources implements ImageLookup, BaseImages {
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private final Path home;
    private final ImageStore store;

    public ImageSources(Path home) {
        this.home = home;
        this.store = ImageStore.open(home);
    }

    @Override
    public String require(String image) throws IOException {
        ImageRef ref;
        Optional<StoredImage> found;
        try {
            ref = ImageRef.parse(image);
            found = store.find(image);
        } catch (IllegalArgumentException e) {
            throw Problem.badField("image", "image reference '" + image + "' is not valid: " + e.getMessage()).toException();
        }
        if (found.isPresent()) {
            return found.get().digest().toString();
        }
        if (ref.registry() == null) {
            throw Problem.badField("image", "no image '" + image + "' in the store; pack it first ('modelgate pack <dir>'), "
                    + "upload the model directory (POST /models with Content-Type application/x-tar), or name a registry "
                    + "('registry.example.com/" + ref.repository() + ":" + (ref.tag() == null ? "1" : ref.tag()) + "')")
                    .toException();
        }
        return pull(ref, image).digest().toString();
    }

    @Override
    public Optional<String> digest(String image) throws IOException {
        return store.find(image).map(i -> i.digest().toString());
    }

    /** A base image named in an uploaded model.yaml: from the store, or pulled like a deployment's image. */
    @Override
    public StoredImage resolve(ImageStore into, String base) throws IOException {
        Optional<StoredImage> found = into.find(base);
        if (found.isPresent()) {
            return found.get();
        }
        ImageRef ref = ImageRef.parse(base);
        if (ref.registry() == null) {
            return BaseImages.storeOnly().resolve(into, base);
        }
        return client(ref).pull(into, ref, ProgressListener.NONE).image();
    }

    private StoredImage pull(ImageRef ref, String image) throws IOException {
        try {
            return client(ref).pull(store, ref, ProgressListener.NONE).image();
        } catch (RegistryException e) {
            throw refusal(e, image).toException();
        } catch (IOException e) {
            throw new Problem(502, "Registry unreachable", "pulling '" + image + "' failed: " + e.getMessage(),
                    "image", null).toException();
        }
    }

    private RegistryClient client(ImageRef ref) {
        return RegistryClient.to(ref.registryHost()).home(home).connectTimeout(CONNECT_TIMEOUT).build();
    }

    /**
     * What the registry said, as the user's fault (400: no such image, credentials refused) or the registry's (502:
     * not reached, failed, sent content that does not verify).
     */
    static Problem refusal(RegistryException e, String image) {
        int status = e.status();
        if (status == 404 || e.errorCodes().contains("MANIFEST_UNKNOWN") || e.errorCodes().contains("NAME_UNKNOWN")) {
            return Problem.badField("image", "the registry has no image '" + image + "' (" + e.getMessage() + ")");
        }
        if (status == 401 || status == 403) {
            return Problem.badField("image", "the registry refused to serve '" + image + "' (" + e.getMessage()
                    + "); store credentials with 'modelgate login " + ImageRef.parse(image).registryHost() + "'");
        }
        return new Problem(502, "Registry failed", "pulling '" + image + "' failed: " + e.getMessage(), "image", null);
    }
}
