package io.modelgate.packager.archive;

import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.store.ImageStore;

import java.util.Map;
import java.util.Optional;

/** Image names as Docker writes them into archives, and back into the names the store uses. */
final class Names {
    private Names() {
    }

    /** containerd's fully qualified form, {@code docker.io/library/iris:1}, as {@code io.containerd.image.name} holds it. */
    static String qualified(ImageRef ref) {
        return ref.registryHost() + "/" + ref.remoteRepository() + ":" + ref.tag();
    }

    /** Docker's short form, {@code iris:1}, as manifest.json's RepoTags hold it and the store tags images. */
    static ImageRef familiar(ImageRef ref) {
        if (ref.registry() != null && !ref.registry().equals(ImageRef.DOCKER_HUB) && !ref.registry().equals("index.docker.io")) {
            return ref;
        }
        String repository = ref.repository();
        if (repository.startsWith("library/") && repository.indexOf('/', "library/".length()) < 0) {
            repository = repository.substring("library/".length());
        }
        return new ImageRef(null, repository, ref.tag(), ref.digest());
    }

    /**
     * The name an OCI index entry gives its image: {@code io.containerd.image.name} when present, else
     * {@code org.opencontainers.image.ref.name} when it is a whole reference. Docker writes only the tag there
     * ("1"), which names no repository, so alone it names nothing.
     */
    static Optional<ImageRef> fromAnnotations(Map<String, String> annotations) {
        String full = annotations.get(ImageStore.IMAGE_NAME);
        if (full != null && !full.isBlank()) {
            return Optional.of(familiar(parse(full, ImageStore.IMAGE_NAME)));
        }
        String refName = annotations.get(ImageStore.REF_NAME);
        if (refName != null && (refName.contains(":") || refName.contains("/"))) {
            return Optional.of(familiar(parse(refName, ImageStore.REF_NAME)));
        }
        return Optional.empty();
    }

    static ImageRef parse(String text, String where) {
        try {
            ImageRef ref = ImageRef.parse(text);
            if (ref.tag() == null) {
                throw new IllegalArgumentException("it has no tag");
            }
            return ref;
        } catch (IllegalArgumentException e) {
            throw new io.modelgate.packager.image.ImageFormatException("invalid image name '" + text + "' in " + where + ": " + e.getMessage(), e);
        }
    }
}
