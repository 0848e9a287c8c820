package io.modelgate.packager.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLException;

/**
 * Sends {@link RegistryEndpoint}s: adds the Authorization the {@link Authenticator} holds, answers one 401
 * challenge and retries, follows redirects of downloads (without sending our credentials to another host), and
 * turns refusals and broken connections into {@link RegistryException}s that name the request and the registry.
 */
final class RegistryCaller {
    private static final int MAX_REDIRECTS = 5;
    private static final int MAX_ERROR_BODY = 64 << 10;
    private static final String USER_AGENT = "modelgate/" + Optional.ofNullable(RegistryCaller.class.getPackage().getImplementationVersion()).orElse("dev");

    private static final Map<Integer, String> REASONS = Map.ofEntries(
            Map.entry(400, "Bad Request"), Map.entry(401, "Unauthorized"), Map.entry(403, "Forbidden"),
            Map.entry(404, "Not Found"), Map.entry(405, "Method Not Allowed"), Map.entry(409, "Conflict"),
            Map.entry(413, "Payload Too Large"), Map.entry(416, "Range Not Satisfiable"), Map.entry(429, "Too Many Requests"),
            Map.entry(500, "Internal Server Error"), Map.entry(502, "Bad Gateway"), Map.entry(503, "Service Unavailable"),
            Map.entry(504, "Gateway Timeout"));

    private final HttpClient http;
    private final Routes routes;
    private final Optional<Credentials> credentials;
    private final Authenticator authenticator;

    /** @param authenticator null for requests that carry their own Authorization (token requests) */
    RegistryCaller(HttpClient http, Routes routes, Optional<Credentials> credentials, Authenticator authenticator) {
        this.http = Objects.requireNonNull(http);
        this.routes = routes;
        this.credentials = credentials;
        this.authenticator = authenticator;
    }

    <T> T call(RegistryEndpoint<T> endpoint) throws IOException {
        URI uri = endpoint.uri();
        String sent = authenticator == null ? null : authenticator.authorization();
        HttpResponse<InputStream> response = send(endpoint, uri, sent);
        if (response.statusCode() == 401 && authenticator != null
                && authenticator.answer(response.headers().allValues("WWW-Authenticate"), sent)) {
            discard(response);
            sent = authenticator.authorization();
            response = send(endpoint, uri, sent);
        }
        for (int redirects = 0; isRedirect(response.statusCode()) && endpoint.followsRedirects(); redirects++) {
            String location = response.headers().firstValue("Location").orElse(null);
            if (location == null || redirects == MAX_REDIRECTS) {
                break;
            }
            discard(response);
            URI next = uri.resolve(location);
            // A redirect to a storage backend (S3, a CDN) must not receive the registry's credentials: it may
            // log them, and S3 refuses a request that carries two kinds of authentication.
            String auth = sameOrigin(uri, next) ? sent : null;
            uri = next;
            sent = auth;
            response = send(endpoint, uri, sent);
        }
        try (InputStream body = response.body()) {
            if (endpoint.acceptedStatuses().contains(response.statusCode())) {
                return endpoint.handle(response);
            }
            throw refused(endpoint, response.statusCode(), body);
        }
    }

    private HttpResponse<InputStream> send(RegistryEndpoint<?> endpoint, URI uri, String authorization) throws IOException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .method(endpoint.method(), endpoint.body())
                .header("User-Agent", USER_AGENT);
        if (endpoint.timeoutSeconds() > 0) {
            request.timeout(Duration.ofSeconds(endpoint.timeoutSeconds()));
        }
        endpoint.addHeaders(request);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted during " + endpoint.description());
        } catch (IOException e) {
            throw unreachable(endpoint, uri, e);
        }
    }

    private RegistryException refused(RegistryEndpoint<?> endpoint, int status, InputStream body) {
        byte[] bytes;
        try {
            bytes = body.readNBytes(MAX_ERROR_BODY);
        } catch (IOException e) {
            bytes = new byte[0];
        }
        ErrorBody error = ErrorBody.parse(bytes);
        StringBuilder message = new StringBuilder(endpoint instanceof FetchToken t ? "token service at " + t.realm() : "registry")
                .append(" refused ").append(endpoint.description()).append(" with ").append(status);
        String summary = error.summary();
        if (!summary.isEmpty()) {
            message.append(' ').append(summary);
        } else if (REASONS.containsKey(status)) {
            message.append(' ').append(REASONS.get(status)); // HEAD answers and some proxies carry no body
        }
        if (status == 401) {
            message.append(credentials
                    .map(c -> "; the credentials of user '" + c.username() + "' were not accepted (check them, then run 'modelgate login " + routes.registry() + "')")
                    .orElse("; the registry wants credentials: run 'modelgate login " + routes.registry() + "'"));
        } else if (status == 403) {
            message.append(credentials
                    .map(c -> "; user '" + c.username() + "' is not allowed to do this")
                    .orElse("; anonymous access is not allowed: run 'modelgate login " + routes.registry() + "'"));
        }
        return new RegistryException(message.toString(), status, error.codes(), null);
    }

    /** A request that got no answer: which registry, which request, and what the user can check. */
    RegistryException unreachable(RegistryEndpoint<?> endpoint, URI uri, IOException e) {
        String host = uri.getAuthority();
        String plainHttpHint = "https".equals(uri.getScheme())
                ? "; if the registry speaks plain HTTP, use --plain-http or list it under insecureRegistries in config.json" : "";
        String message;
        if (has(e, UnresolvedAddressException.class) || has(e, UnknownHostException.class)) {
            message = "cannot resolve the registry host " + uri.getHost() + " for " + endpoint.description();
        } else if (e instanceof HttpConnectTimeoutException) {
            message = "cannot connect to registry " + host + " for " + endpoint.description() + ": timed out";
        } else if (e instanceof ConnectException && !(e.getCause() instanceof SSLException)) {
            // The JDK's HTTP client reports a refused connection as a ConnectException without a message.
            message = "cannot connect to registry " + host + " for " + endpoint.description() + " ("
                    + (e.getMessage() == null ? "connection refused" : e.getMessage()) + "): is it running and listening there?" + ("https".equals(uri.getScheme()) ? plainHttpHint.replace("; if", " If") : "");
        } else if (e instanceof HttpTimeoutException) {
            message = "registry " + host + " did not answer " + endpoint.description() + " within " + endpoint.timeoutSeconds() + " s";
        } else if (has(e, SSLException.class)) {
            message = "TLS with registry " + host + " failed during " + endpoint.description() + ": " + reason(e) + plainHttpHint;
        } else {
            message = "the connection to registry " + host + " broke during " + endpoint.description() + ": " + reason(e)
                    + " (did the registry stop or restart? run the command again)";
        }
        return new RegistryException(message, e);
    }

    private static boolean has(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    /** The most telling message in a cause chain; the HTTP client often throws exceptions without one. */
    private static String reason(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return t.getMessage();
            }
        }
        return e.getClass().getSimpleName().replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(java.util.Locale.ROOT)
                .replace(" exception", "");
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getAuthority(), b.getAuthority());
    }

    /** Reads a little of a body we do not need, so the connection can be reused, and closes it. */
    private static void discard(HttpResponse<InputStream> response) {
        try (InputStream in = response.body()) {
            in.readNBytes(MAX_ERROR_BODY);
        } catch (IOException ignored) {
            // the next request opens a new connection
        }
    }
}
