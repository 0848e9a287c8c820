package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The URLs of the distribution spec's API (distribution-spec spec.md, "Endpoints") for one registry. */
final class Routes {
    private final Transport transport;
    private final String registry;

    Routes(Transport transport, String registry) {
        this.transport = transport;
        this.registry = registry;
    }

    String registry() {
        return registry;
    }

    Transport transport() {
        return transport;
    }

    /** Docker Hub's references say docker.io, but its API lives on registry-1.docker.io. */
    static String apiHost(String registry) {
        return switch (registry) {
            case "docker.io", "index.docker.io" -> "registry-1.docker.io";
            default -> registry;
        };
    }

    /** {@code /v2/}, the API version check that also tells which authentication the registry wants. */
    URI base() {
        return URI.create(transport.scheme() + "://" + apiHost(registry) + "/v2/");
    }

    URI blob(String repository, Digest digest) {
        return base().resolve(repository + "/blobs/" + digest);
    }

    URI uploads(String repository) {
        return base().resolve(repository + "/blobs/uploads/");
    }

    /** POST here asks the registry to link a blob it holds in {@code from} into {@code repository}. */
    URI mount(String repository, Digest digest, String from) {
        return URI.create(uploads(repository) + "?mount=" + encode(digest.toString()) + "&from=" + encode(from));
    }

    URI manifest(String repository, String reference) {
        return base().resolve(repository + "/manifests/" + reference);
    }

    /** An upload Location may be relative to the request (distribution answers with a path) or absolute. */
    static URI resolveLocation(URI request, String location) {
        if (location == null || location.isBlank()) {
            throw new RegistryException("registry " + request.getAuthority() + " answered " + request.getPath()
                    + " without a Location header for the upload; it does not follow the distribution spec");
        }
        return request.resolve(location.trim());
    }

    /** Adds one query parameter to a URL that may already carry some (an upload's {@code _state}). */
    static URI withQuery(URI url, String key, String value) {
        String s = url.toString();
        int hash = s.indexOf('#');
        if (hash >= 0) {
            s = s.substring(0, hash);
        }
        String sep = url.getRawQuery() == null || url.getRawQuery().isEmpty() ? (s.endsWith("?") ? "" : "?") : "&";
        return URI.create(s + sep + encode(key) + "=" + encode(value));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
