package io.modelgate.packager.registry;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelgate.packager.image.Json;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The error body of a refused request (distribution-spec, "Error Codes"):
 * {@code {"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry","detail":…}]}}.
 * Registries and proxies in front of them also answer with HTML or plain text; that is kept, shortened.
 */
record ErrorBody(List<Entry> errors, String text) {

    record Entry(String code, String message, String detail) {
    }

    ErrorBody {
        errors = List.copyOf(errors);
    }

    static ErrorBody parse(byte[] body) {
        if (body == null || body.length == 0) {
            return new ErrorBody(List.of(), "");
        }
        try {
            JsonNode root = Json.mapper().readTree(body);
            if (root != null && root.path("errors").isArray()) {
                List<Entry> entries = new ArrayList<>();
                for (JsonNode e : root.get("errors")) {
                    JsonNode detail = e.path("detail");
                    entries.add(new Entry(e.path("code").asText(""), e.path("message").asText(""),
                            detail.isMissingNode() || detail.isNull() ? "" : detail.isTextual() ? detail.asText() : detail.toString()));
                }
                return new ErrorBody(entries, "");
            }
        } catch (java.io.IOException | RuntimeException notJson) {
            // fall through: keep the text
        }
        String text = new String(body, StandardCharsets.UTF_8).replaceAll("<[^>]*>", " ").replaceAll("\\s+", " ").trim();
        return new ErrorBody(List.of(), text.length() > 200 ? text.substring(0, 200) + "…" : text);
    }

    List<String> codes() {
        return errors.stream().map(Entry::code).filter(c -> !c.isEmpty()).toList();
    }

    /** "BLOB_UPLOAD_INVALID: blob upload invalid (detail)"; several errors joined by "; ". */
    String summary() {
        if (errors.isEmpty()) {
            return text;
        }
        List<String> parts = new ArrayList<>();
        for (Entry e : errors) {
            StringBuilder s = new StringBuilder(e.code());
            if (!e.message().isEmpty()) {
                s.append(s.length() > 0 ? ": " : "").append(e.message());
            }
            if (!e.detail().isEmpty() && !e.detail().equals(e.message())) {
                s.append(" (").append(e.detail().length() > 200 ? e.detail().substring(0, 200) + "…" : e.detail()).append(')');
            }
            parts.add(s.toString());
        }
        return String.join("; ", parts);
    }
}
