package io.modelgate.packager.pack;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelgate.packager.image.Json;

import java.io.IOException;

/** A valid inference request for any model, from its V2 metadata: every input filled with zeros, -1 dims as 1. */
final class TrainingRequest {
    private TrainingRequest() {
    }

    static String zeros(String metadataJson) throws IOException {
        JsonNode metadata = Json.mapper().readTree(metadataJson);
        ObjectNode request = Json.mapper().createObjectNode();
        ArrayNode inputs = request.putArray("inputs");
        for (JsonNode in : metadata.path("inputs")) {
            ObjectNode input = inputs.addObject();
            input.put("name", in.path("name").asText());
            String datatype = in.path("datatype").asText();
            input.put("datatype", datatype);
            ArrayNode shape = input.putArray("shape");
            long count = 1;
            for (JsonNode d : in.path("shape")) {
                long dim = d.asLong() < 0 ? 1 : d.asLong();
                shape.add(dim);
                count *= dim;
            }
            ArrayNode data = input.putArray("data");
            for (long i = 0; i < count; i++) {
                switch (datatype) {
                    case "BOOL" -> data.add(false);
                    case "BYTES" -> data.add("");
                    default -> data.add(0);
                }
            }
        }
        return Json.mapper().writeValueAsString(request);
    }
}
