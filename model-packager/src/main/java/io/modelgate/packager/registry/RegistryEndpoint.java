package io.modelgate.packager.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;

/**
 * One registry operation (after Jib's RegistryEndpointProvider): the request to send, the statuses that mean
 * success, what to make of the answer, and a description that every error message about it carries.
 * {@link RegistryCaller} does the rest: authentication, redirects, and errors.
 */
interface RegistryEndpoint<T> {

    String method();

    URI uri();

    /** Accept, Content-Type, Content-Range and the like; Authorization is added by the caller. */
    default void addHeaders(HttpRequest.Builder request) {
    }

    /** A fresh body for each attempt, so that a request retried after an auth challenge sends it again. */
    default HttpRequest.BodyPublisher body() {
        return HttpRequest.BodyPublishers.noBody();
    }

    Set<Integer> acceptedStatuses();

    /** Reads an accepted response; the caller closes the body afterwards. */
    T handle(HttpResponse<InputStream> response) throws IOException;

    /** What this request does, as a noun phrase for messages: "blob upload sha256:…". */
    String description();

    /** Whether 3xx redirects are followed (blob downloads are commonly redirected to a storage backend). */
    default boolean followsRedirects() {
        return "GET".equals(method()) || "HEAD".equals(method());
    }

    /**
     * Seconds to wait for the response headers (a download's body then streams for as long as it needs); 0 for no
     * limit, for uploads, whose answer comes only after the whole body was sent.
     */
    default int timeoutSeconds() {
        return 120;
    }
}
