package io.modelgate.packager.image;

import java.util.regex.Pattern;

/**
 * An image reference, {@code [registry/]repository[:tag][@digest]}, following the grammar of
 * distribution's reference package. A reference with neither tag nor digest means {@code :latest}.
 * A reference whose first component names no registry ("iris:1") is local to the store; pushing and pulling
 * it goes to Docker Hub, as with Docker.
 */
public record ImageRef(String registry, String repository, String tag, Digest digest) {

    public static final String DOCKER_HUB = "docker.io";
    /** The legacy name of Docker Hub, which Docker still normalises to docker.io. */
    private static final String DOCKER_HUB_LEGACY = "index.docker.io";
    /** distribution's NameTotalLengthMax: registry and repository together. */
    private static final int NAME_MAX = 255;
    private static final Pattern COMPONENT = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    private static final Pattern TAG = Pattern.compile("[\\w][\\w.-]{0,127}");
    private static final Pattern HOST = Pattern.compile("(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?))*(?::[0-9]+)?|\\[[0-9a-fA-F:]+](?::[0-9]+)?");

    public ImageRef {
        if (repository == null || repository.isEmpty()) {
            throw new IllegalArgumentException("image reference has no repository name");
        }
        for (String part : repository.split("/", -1)) {
            if (!COMPONENT.matcher(part).matches()) {
                throw new IllegalArgumentException("invalid repository name '" + repository
                        + "' (components are lowercase letters, digits and separators . _ __ -)");
            }
        }
        if (registry != null && !HOST.matcher(registry).matches()) {
            throw new IllegalArgumentException("invalid registry host '" + registry + "'");
        }
        if (tag != null && !TAG.matcher(tag).matches()) {
            throw new IllegalArgumentException("invalid tag '" + tag + "' (up to 128 of letters, digits, _ . -, not starting with . or -)");
        }
        if (tag == null && digest == null) {
            tag = "latest";
        }
        int nameLength = repository.length() + (registry == null ? 0 : registry.length() + 1);
        if (nameLength > NAME_MAX) {
            throw new IllegalArgumentException("repository name is " + nameLength + " characters long (at most " + NAME_MAX + ")");
        }
    }

    /** Parses a reference such as {@code iris}, {@code iris:1}, {@code localhost:5000/team/iris@sha256:…}. */
    public static ImageRef parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("image reference is empty");
        }
        try {
            return split(text.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("invalid image reference '" + text + "': " + e.getMessage(), e);
        }
    }

    private static ImageRef split(String rest) {
        Digest digest = null;
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = Digest.parse(rest.substring(at + 1));
            rest = rest.substring(0, at);
        }
        String registry = null;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost") || !first.equals(first.toLowerCase())) {
                registry = first;
                rest = rest.substring(slash + 1);
            }
        }
        String tag = null;
        int colon = rest.lastIndexOf(':');
        if (colon >= 0) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        return new ImageRef(registry, rest, tag, digest);
    }

    /** The registry host to talk to, {@code docker.io} for a reference without one. */
    public String registryHost() {
        return registry == null ? DOCKER_HUB : registry;
    }

    /** The repository path on the registry ({@code library/x} for an official Docker Hub image). */
    public String remoteRepository() {
        boolean dockerHub = registry == null || DOCKER_HUB.equals(registry) || DOCKER_HUB_LEGACY.equals(registry);
        return dockerHub && !repository.contains("/") ? "library/" + repository : repository;
    }

    /** The tag or digest a registry is asked for. */
    public String reference() {
        return digest != null ? digest.toString() : tag;
    }

    public ImageRef withTag(String newTag) {
        return new ImageRef(registry, repository, newTag, null);
    }

    public ImageRef withDigest(Digest newDigest) {
        return new ImageRef(registry, repository, null, newDigest);
    }

    /** {@code [registry/]repository} without tag or digest. */
    public String name() {
        return registry == null ? repository : registry + "/" + repository;
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder(name());
        if (tag != null) {
            s.append(':').append(tag);
        }
        if (digest != null) {
            s.append('@').append(digest);
        }
        return s.toString();
    }
}
