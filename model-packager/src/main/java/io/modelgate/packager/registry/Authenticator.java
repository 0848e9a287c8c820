package io.modelgate.packager.registry;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Answers a registry's 401 challenges (distribution's token auth, docs/spec/auth/token.md): Basic with the user's
 * credentials, or Bearer with a token fetched from the challenge's realm for its service and scope (with the
 * credentials as Basic auth when there are any, anonymously otherwise). Tokens are kept per scope, so a push that
 * needs a token for a cross-repository mount still has the one for its own repository.
 */
final class Authenticator {
    private final Routes routes;
    private final Optional<Credentials> credentials;
    private final Map<String, String> bearerByScope = new HashMap<>();
    private RegistryCaller tokenCaller;
    private String current;

    Authenticator(Routes routes, Optional<Credentials> credentials) {
        this.routes = routes;
        this.credentials = credentials;
    }

    /** Token requests go through a caller without this authenticator: they carry their own Basic auth. */
    void useForTokens(RegistryCaller caller) {
        this.tokenCaller = caller;
    }

    /** The Authorization header to send, or null until a challenge asked for one. */
    synchronized String authorization() {
        return current;
    }

    /**
     * Picks new authorization for the challenges of a 401.
     * @param sent what the refused request carried, so the same thing is not tried twice
     * @return whether there is something new to retry with
     */
    synchronized boolean answer(List<String> wwwAuthenticate, String sent) throws IOException {
        List<AuthChallenge> challenges = wwwAuthenticate.stream().flatMap(h -> AuthChallenge.parse(h).stream()).toList();
        Optional<AuthChallenge> bearer = challenges.stream().filter(AuthChallenge::isBearer).findFirst();
        if (bearer.isPresent()) {
            AuthChallenge c = bearer.get();
            String realm = c.param("realm");
            if (realm == null || realm.isBlank()) {
                throw new RegistryException("registry " + routes.registry() + " asks for a bearer token but names no realm to get one from");
            }
            String scope = c.param("scope");
            String key = scope == null ? "" : scope;
            String cached = bearerByScope.get(key);
            if (cached != null && !cached.equals(sent)) {
                current = cached;
                return true;
            }
            // Fetched anew also when the cached token was just refused: it has most likely expired.
            String header = "Bearer " + tokenCaller.call(new FetchToken(realm, c.param("service"), scope, credentials));
            bearerByScope.put(key, header);
            current = header;
            return true;
        }
        if (challenges.stream().anyMatch(AuthChallenge::isBasic) && credentials.isPresent()) {
            String header = credentials.get().basicAuthorization();
            if (!header.equals(sent)) {
                current = header;
                return true;
            }
        }
        return false;
    }
}
