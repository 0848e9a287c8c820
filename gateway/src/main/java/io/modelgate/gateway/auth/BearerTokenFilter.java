package io.modelgate.gateway.auth;

import io.modelgate.gateway.problem.Problem;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.container.ContainerRequestFilter;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.ext.Provider;

/** Refuses {@link Management} calls without the right bearer token, with 401 problem+json. */
@Provider
@Management
public class BearerTokenFilter implements ContainerRequestFilter {
    private static final String BEARER = "Bearer ";
    private final ManagementToken token;

    public BearerTokenFilter(ManagementToken token) {
        this.token = token;
    }

    @Override
    public void filter(ContainerRequestContext request) {
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            request.abortWith(Problem.of(401, "Unauthorized", "management calls need 'Authorization: Bearer <token>'; "
                    + "the token is modelgate.token / MODELGATE_TOKEN, or the one generated in <home>/token").toResponse());
            return;
        }
        if (!token.matches(header.substring(BEARER.length()).trim())) {
            request.abortWith(Problem.of(401, "Unauthorized", "the bearer token is not the management token").toResponse());
        }
    }
}
