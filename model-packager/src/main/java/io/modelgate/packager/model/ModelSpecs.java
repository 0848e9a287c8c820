package io.modelgate.packager.model;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/** Reads model.yaml, reporting every problem with the file, the line and the key. */
public final class ModelSpecs {
    public static final String FILE_NAME = "model.yaml";

    private static final ObjectMapper YAML = YAMLMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ModelSpecs() {
    }

    /** Reads {@code dir/model.yaml}. */
    public static ModelSpec read(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ModelSpecException(file, 0, null, "not found: a model directory needs a model.yaml (name, server: {type, command, port})", e);
        }
        return parse(file, text);
    }

    /** Parses model.yaml text; {@code file} is only used in messages. */
    public static ModelSpec parse(Path file, String text) {
        if (text.isBlank()) {
            throw new ModelSpecException(file, 0, null, "is empty (it needs at least name and server)", null);
        }
        try {
            return YAML.readValue(text, ModelSpec.class);
        } catch (ValueInstantiationException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ModelSpecException spec) {
                throw new ModelSpecException(file, lineOf(text, spec.key()), spec.key(), spec.detail(), e);
            }
            throw new ModelSpecException(file, line(e.getLocation()), path(e), String.valueOf(cause == null ? e.getOriginalMessage() : cause.getMessage()), e);
        } catch (UnrecognizedPropertyException e) {
            String key = path(e);
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream().map(String::valueOf).sorted()
                    .collect(Collectors.joining(", ", " (known keys here: ", ")"));
            throw new ModelSpecException(file, lineOr(text, key, e), key, "is not a known key" + known, e);
        } catch (JsonMappingException e) {
            String key = path(e);
            String why = e.getOriginalMessage();
            if (why != null && why.startsWith("Cannot deserialize value of type")) {
                why = "has the wrong type: " + why.replaceFirst("Cannot deserialize value of type ", "expected ")
                        .replaceAll(" from .*", "").replace("`java.lang.Integer`", "a whole number")
                        .replace("`java.lang.String`", "a string").replace("`java.lang.Double`", "a number")
                        .replace("`java.util.List<java.lang.String>`", "a list of strings")
                        .replaceAll("`java.util.Map<[^`]*>`", "a mapping of strings")
                        .replaceAll("`io\\.modelgate[^`]*\\$?([A-Za-z]+)`", "a mapping");
            }
            throw new ModelSpecException(file, lineOr(text, key, e), key, why, e);
        } catch (JacksonException e) {
            throw new ModelSpecException(file, line(e.getLocation()), null, "is not valid YAML: " + e.getOriginalMessage(), e);
        }
    }

    /** The line of the key as YAML has it; Jackson's own location points at the token after the value. */
    private static int lineOr(String text, String key, JacksonException e) {
        int line = key == null || key.isEmpty() || key.contains("[") ? 0 : lineOf(text, key);
        return line > 0 ? line : line(e.getLocation());
    }

    private static int line(JsonLocation location) {
        return location == null ? 0 : location.getLineNr();
    }

    private static String path(JsonMappingException e) {
        return e.getPath().stream()
                .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    /** The 1-based line of a dotted key in the YAML text, or 0 if it is not there (a missing key). */
    static int lineOf(String text, String dottedKey) {
        if (dottedKey == null) {
            return 0;
        }
        try {
            Node node = new Yaml(new LoaderOptions()).compose(new StringReader(text));
            int line = 0;
            for (String part : dottedKey.split("\\.")) {
                if (!(node instanceof MappingNode mapping)) {
                    return line;
                }
                Node next = null;
                for (NodeTuple t : mapping.getValue()) {
                    if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(part)) {
                        next = t.getValueNode();
                        line = t.getKeyNode().getStartMark().getLine() + 1;
                    }
                }
                if (next == null) {
                    return line;
                }
                node = next;
            }
            return line;
        } catch (RuntimeException e) {
            return 0;
        }
    }
}
