package io.modelgate.gateway.problem;

import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.ext.ExceptionMapper;
import jakarta.ws.rs.ext.Provider;

/** The framework's own refusals (no such path, method not allowed, unsupported media type) as problem+json too. */
@Provider
public class WebErrorMapper implements ExceptionMapper<WebApplicationException> {
    @Override
    public Response toResponse(WebApplicationException e) {
        Response original = e.getResponse();
        int status = original.getStatus();
        String detail = switch (status) {
            case 404 -> "no such path; the API has /models, /models/{name} and /v2/models/{name}/infer";
            case 405 -> "this path does not take that method" + (original.getAllowedMethods().isEmpty() ? ""
                    : "; it takes " + String.join(", ", original.getAllowedMethods()));
            default -> e.getMessage();
        };
        Response problem = Problem.of(status, original.getStatusInfo().getReasonPhrase(), detail).toResponse();
        Response.ResponseBuilder b = Response.fromResponse(problem);
        if (!original.getAllowedMethods().isEmpty()) {
            b.allow(original.getAllowedMethods());
        }
        return b.build();
    }
}
