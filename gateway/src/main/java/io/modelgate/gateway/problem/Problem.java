package io.modelgate.gateway.problem;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.ws.rs.core.Response;

import java.time.Duration;

/**
 * An RFC 9457 problem detail: what went wrong, for which field, and what to do about it.
 *
 * @param field the request field at fault (dotted, e.g. {@code resources.memory}), or null
 */
public record Problem(int status, String title, String detail, String field, Duration retryAfter) {
    public static final String MEDIA_TYPE = "application/problem+json";
    private static final ObjectMapper MAPPER = new ObjectMapper();

    public static Problem of(int status, String title, String detail) {
        return new Problem(status, title, detail, null, null);
    }

    public static Problem badField(String field, String detail) {
        return new Problem(400, "Invalid field '" + field + "'", detail, field, null);
    }

    public Problem retryAfter(Duration after) {
        return new Problem(status, title, detail, field, after);
    }

    public ProblemException toException() {
        return new ProblemException(this);
    }

    public String toJson() {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("type", "about:blank");
        n.put("title", title);
        n.put("status", status);
        n.put("detail", detail);
        if (field != null) {
            n.put("field", field);
        }
        return n.toString();
    }

    public Response toResponse() {
        Response.ResponseBuilder b = Response.status(status).type(MEDIA_TYPE).entity(toJson());
        if (retryAfter != null) {
            b.header("Retry-After", Math.max(1, retryAfter.toSeconds()));
        }
        if (status == 401) {
            b.header("WWW-Authenticate", "Bearer realm=\"modelgate\"");
        }
        return b.build();
    }
}
