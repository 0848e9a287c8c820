package io.modelgate.packager.model;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonDeserializer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** A command as a list (exec form) or a string (shell form, run by /bin/sh -c), as in a Dockerfile. */
final class CommandDeserializer extends JsonDeserializer<List<String>> {
    @Override
    public List<String> deserialize(JsonParser p, DeserializationContext ctx) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            return List.of("/bin/sh", "-c", p.getText());
        }
        if (p.currentToken() != JsonToken.START_ARRAY) {
            return (List<String>) ctx.handleUnexpectedToken(List.class, p);
        }
        List<String> out = new ArrayList<>();
        while (p.nextToken() != JsonToken.END_ARRAY) {
            if (!p.currentToken().isScalarValue()) {
                return (List<String>) ctx.handleUnexpectedToken(String.class, p);
            }
            out.add(p.getText());
        }
        return out;
    }
}
