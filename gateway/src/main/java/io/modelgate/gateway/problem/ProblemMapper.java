package io.modelgate.gateway.problem;

import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** Answers every {@link ProblemException} as application/problem+json. */
@Provider
public class ProblemMapper implements ExceptionMapper<ProblemException> {
    @Override
    public Response toResponse(ProblemException e) {
        return e.problem().toResponse();
    }
}
