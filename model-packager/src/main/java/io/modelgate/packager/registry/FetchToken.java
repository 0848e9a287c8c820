package io.modelgate.packager.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Json;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;

/**
 * {@code GET <realm>?service=…&scope=…} (distribution's docs/spec/auth/token.md): a bearer token for the scopes a
 * challenge named, with the user's credentials as Basic auth when there are any. A challenge may name several
 * scopes separated by spaces (a mount needs push on the target and pull on the source); each becomes its own
 * {@code scope} parameter. The token is read from {@code token}, or {@code access_token} (OAuth2 style).
 */
final class FetchToken implements RegistryEndpoint<String> {
    private final String realm;
    private final String service;
    private final String scope;
    private final Optional<Credentials> credentials;

    FetchToken(String realm, String service, String scope, Optional<Credentials> credentials) {
        this.realm = realm;
        this.service = service;
        this.scope = scope;
        this.credentials = credentials;
    }

    String realm() {
        return realm;
    }

    @Override
    public String method() {
        return "GET";
    }

    @Override
    public URI uri() {
        StringBuilder query = new StringBuilder();
        if (service != null && !service.isEmpty()) {
            query.append("service=").append(encode(service));
        }
        if (scope != null) {
            for (String s : scope.trim().split("\\s+")) {
                if (!s.isEmpty()) {
                    query.append(query.length() > 0 ? "&" : "").append("scope=").append(encode(s));
                }
            }
        }
        credentials.ifPresent(c -> query.append(query.length() > 0 ? "&" : "").append("account=").append(encode(c.username())));
        if (query.length() == 0) {
            return URI.create(realm);
        }
        return URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
    }

    @Override
    public void addHeaders(HttpRequest.Builder request) {
        credentials.ifPresent(c -> request.header("Authorization", c.basicAuthorization()));
    }

    @Override
    public Set<Integer> acceptedStatuses() {
        return Set.of(200);
    }

    @Override
    public String handle(HttpResponse<InputStream> response) throws IOException {
        JsonNode body;
        try {
            body = Json.mapper().readTree(response.body().readNBytes(1 << 20));
        } catch (IOException e) {
            throw new RegistryException("the token service at " + realm + " answered with something that is not JSON: " + e.getMessage(), e);
        }
        for (String field : new String[] {"token", "access_token"}) {
            if (body != null && body.hasNonNull(field) && !body.get(field).asText().isEmpty()) {
                return body.get(field).asText();
            }
        }
        throw new RegistryException("the token service at " + realm + " answered without a token (neither 'token' nor 'access_token')");
    }

    @Override
    public String description() {
        return "a token" + (scope == null ? "" : " for " + scope) + (credentials.isPresent() ? " for user '" + credentials.get().username() + "'" : "");
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
