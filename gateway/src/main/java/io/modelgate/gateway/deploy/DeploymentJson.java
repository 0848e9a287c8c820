package io.modelgate.gateway.deploy;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one JSON form of a deployment, read by hand so that every refusal names its field: the body of POST /models,
 * the answer of GET /models/{name} and the file in the deployment store (which adds createdAt).
 */
final class DeploymentJson {
    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    static final Duration MIN_STABLE_WINDOW = Duration.ofSeconds(6);
    static final Duration MAX_STABLE_WINDOW = Duration.ofSeconds(600);
    static final Duration MAX_GRACE = Duration.ofHours(1);
    static final Duration MIN_TIMEOUT = Duration.ofMillis(100);
    static final Duration MAX_TIMEOUT = Duration.ofHours(1);

    private static final List<String> TOP = List.of("name", "image", "minReplicas", "maxReplicas",
            "containerConcurrency", "timeout", "resources", "env", "autoscaling");
    private static final List<String> RESOURCES = List.of("cpus", "memory", "gpus");
    private static final List<String> REVISION = List.of("revision", "image", "digest", "weight", "resources", "env");
    private static final List<String> AUTOSCALING = List.of("target", "stableWindow", "scaleToZeroGrace");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h)");
    private static final Pattern SIZE = Pattern.compile("(\\d+)(Ki|Mi|Gi|Ti|k|K|M|G|T)?");

    private DeploymentJson() {
    }

    /** Parses a request body; a {@link FieldException} names the field ("body" for JSON that does not parse). */
    static DeploymentSpec parseRequest(byte[] body) {
        return spec(tree(body), TOP);
    }

    static Deployment parseStored(byte[] file) {
        JsonNode n = tree(file);
        List<String> known = new java.util.ArrayList<>(TOP);
        known.add("createdAt");
        known.add("revisions");
        DeploymentSpec spec = spec(n, known);
        Instant created;
        try {
            created = Instant.parse(n.path("createdAt").asText());
        } catch (DateTimeParseException e) {
            throw new FieldException("createdAt", "createdAt must be an ISO-8601 instant, got " + n.get("createdAt"));
        }
        List<Revision> revisions = new java.util.ArrayList<>();
        JsonNode rs = n.get("revisions");
        if (rs != null && !rs.isNull()) {
            if (!rs.isArray()) {
                throw new FieldException("revisions", "revisions must be an array, got " + rs);
            }
            for (JsonNode r : rs) {
                requireObject(r, "revisions[]");
                rejectUnknown(r, "revisions[].", REVISION);
                try {
                    revisions.add(new Revision(integer(r, "revision", "revisions[].revision", 0, 1, Integer.MAX_VALUE),
                            requiredText(r, "image"), requiredText(r, "digest"), resources(r.get("resources")),
                            new TreeMap<>(env(r.get("env"))), integer(r, "weight", "revisions[].weight", 0, 0, 100)));
                } catch (IllegalArgumentException e) {
                    throw new FieldException("revisions", e.getMessage());
                }
            }
        }
        try {
            return new Deployment(spec, created, revisions);
        } catch (IllegalArgumentException e) {
            throw new FieldException("revisions", e.getMessage());
        }
    }

    /** A PATCH body: the changed spec (merged as RFC 7396 describes, then validated like POST) and the rollout. */
    record Patch(DeploymentSpec spec, java.util.OptionalInt weight, boolean imageGiven) {
    }

    /**
     * Applies a JSON merge patch (RFC 7396) to the current spec: members replace, {@code null} removes (back to the
     * default), objects merge. {@code rollout.weight} is taken out first; it is not part of the spec.
     */
    static Patch parsePatch(byte[] body, DeploymentSpec current) {
        JsonNode patch = tree(body);
        java.util.OptionalInt weight = java.util.OptionalInt.empty();
        JsonNode rollout = ((ObjectNode) patch).remove("rollout");
        if (rollout != null && !rollout.isNull()) {
            requireObject(rollout, "rollout");
            rejectUnknown(rollout, "rollout.", List.of("weight"));
            JsonNode w = rollout.get("weight");
            if (w == null || w.isNull()) {
                throw new FieldException("rollout.weight", "rollout.weight is required: the percent of requests "
                        + "(0 to 100) the newest revision gets");
            }
            weight = java.util.OptionalInt.of(integer(rollout, "weight", "rollout.weight", 100, 0, 100));
        }
        JsonNode name = patch.get("name");
        if (name != null && !name.equals(MAPPER.getNodeFactory().textNode(current.name()))) {
            throw new FieldException("name", "name cannot be changed (it is '" + current.name() + "'); deploy a new "
                    + "model under the new name instead");
        }
        ObjectNode merged = write(new Deployment(current, Instant.EPOCH));
        merged.remove("createdAt");
        rejectUnknown(patch, "", TOP);
        mergePatch(merged, (ObjectNode) patch);
        return new Patch(spec(merged, TOP), weight, patch.has("image"));
    }

    private static void mergePatch(ObjectNode target, ObjectNode patch) {
        for (Map.Entry<String, JsonNode> e : patch.properties()) {
            JsonNode v = e.getValue();
            if (v.isNull()) {
                target.remove(e.getKey());
            } else if (v.isObject() && target.get(e.getKey()) instanceof ObjectNode t) {
                mergePatch(t, (ObjectNode) v);
            } else {
                target.set(e.getKey(), stripNulls(v));
            }
        }
    }

    private static JsonNode stripNulls(JsonNode v) {
        if (v instanceof ObjectNode o) {
            ObjectNode copy = MAPPER.createObjectNode();
            o.properties().forEach(e -> {
                if (!e.getValue().isNull()) {
                    copy.set(e.getKey(), stripNulls(e.getValue()));
                }
            });
            return copy;
        }
        return v;
    }

    static ObjectNode write(Deployment d) {
        DeploymentSpec s = d.spec();
        ObjectNode n = MAPPER.createObjectNode();
        n.put("name", s.name());
        n.put("image", s.image());
        n.put("minReplicas", s.minReplicas());
        n.put("maxReplicas", s.maxReplicas());
        n.put("containerConcurrency", s.containerConcurrency());
        s.timeout().ifPresent(t -> n.put("timeout", format(t)));
        writeTemplate(n, s.resources(), s.env());
        ObjectNode a = n.putObject("autoscaling");
        s.autoscaling().target().ifPresent(t -> a.put("target", t));
        a.put("stableWindow", format(s.autoscaling().stableWindow()));
        a.put("scaleToZeroGrace", format(s.autoscaling().scaleToZeroGrace()));
        n.put("createdAt", d.createdAt().toString());
        if (!d.revisions().isEmpty()) {
            var rs = n.putArray("revisions");
            d.revisions().forEach(rev -> rs.add(write(rev)));
        }
        return n;
    }

    static ObjectNode write(Revision rev) {
        ObjectNode n = MAPPER.createObjectNode();
        n.put("revision", rev.number());
        n.put("image", rev.image());
        n.put("digest", rev.digest());
        n.put("weight", rev.weight());
        writeTemplate(n, rev.resources(), rev.env());
        return n;
    }

    /** What a replica is started with besides its image: the resources and env members, in the request's form. */
    private static void writeTemplate(ObjectNode n, DeploymentSpec.Resources resources, Map<String, String> env) {
        ObjectNode r = n.putObject("resources");
        resources.cpus().ifPresent(c -> r.put("cpus", c));
        resources.memoryBytes().ifPresent(m -> r.put("memory", m));
        r.put("gpus", resources.gpus());
        ObjectNode e = n.putObject("env");
        env.forEach(e::put);
    }

    private static JsonNode tree(byte[] body) {
        if (body.length == 0) {
            throw new FieldException("body", "the request body is empty; send a JSON object such as "
                    + "{\"name\":\"iris\",\"image\":\"iris:1\"}");
        }
        try {
            JsonNode n = MAPPER.readTree(body);
            if (n == null || !n.isObject()) {
                throw new FieldException("body", "the request body must be a JSON object, got "
                        + (n == null ? "nothing" : n.getNodeType().toString().toLowerCase()));
            }
            return n;
        } catch (JsonParseException e) {
            throw new FieldException("body", "malformed JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new FieldException("body", "malformed JSON: " + e.getOriginalMessage());
        } catch (java.io.IOException e) {
            throw new FieldException("body", "unreadable body: " + e.getMessage());
        }
    }

    private static DeploymentSpec spec(JsonNode n, List<String> known) {
        rejectUnknown(n, "", known);
        String name = requiredText(n, "name");
        if (!DeploymentSpec.DNS_LABEL.matcher(name).matches()) {
            throw new FieldException("name", "name '" + name + "' is not DNS-safe: use 1 to 63 lower-case letters, "
                    + "digits and '-', starting and ending with a letter or digit (e.g. 'iris-v2')");
        }
        String image = requiredText(n, "image");
        int min = integer(n, "minReplicas", "minReplicas", 0, 0, 1000);
        int max = integer(n, "maxReplicas", "maxReplicas", Math.max(1, min), 1, 1000);
        if (max < min) {
            throw new FieldException("maxReplicas", "maxReplicas (" + max + ") must not be less than minReplicas ("
                    + min + ")");
        }
        int cc = integer(n, "containerConcurrency", "containerConcurrency", 0, 0, 10_000);
        DeploymentSpec.Resources resources = resources(n.get("resources"));
        Map<String, String> env = env(n.get("env"));
        DeploymentSpec.Autoscaling autoscaling = autoscaling(n.get("autoscaling"));
        Optional<Duration> timeout = Optional.ofNullable(duration(n, "", "timeout", null, MIN_TIMEOUT, MAX_TIMEOUT));
        try {
            return new DeploymentSpec(name, image, min, max, cc, resources, new TreeMap<>(env), autoscaling, timeout);
        } catch (IllegalArgumentException e) {
            throw new FieldException("body", e.getMessage());
        }
    }

    private static DeploymentSpec.Resources resources(JsonNode n) {
        if (n == null || n.isNull()) {
            return DeploymentSpec.Resources.NONE;
        }
        requireObject(n, "resources");
        rejectUnknown(n, "resources.", RESOURCES);
        OptionalDouble cpus = OptionalDouble.empty();
        JsonNode c = n.get("cpus");
        if (c != null && !c.isNull()) {
            if (!c.isNumber() || !(c.asDouble() > 0) || c.asDouble() > 1024) {
                throw new FieldException("resources.cpus", "resources.cpus must be a number of CPUs above 0 "
                        + "(e.g. 0.5 or 2), got " + c);
            }
            cpus = OptionalDouble.of(c.asDouble());
        }
        OptionalLong memory = OptionalLong.empty();
        JsonNode m = n.get("memory");
        if (m != null && !m.isNull()) {
            memory = OptionalLong.of(size(m));
        }
        int gpus = integer(n, "gpus", "resources.gpus", 0, 0, 64);
        return new DeploymentSpec.Resources(cpus, memory, gpus);
    }

    private static long size(JsonNode m) {
        String hint = "resources.memory must be a byte count or a size such as \"512Mi\" or \"2Gi\" (at least 4Mi), got " + m;
        long bytes;
        if (m.isIntegralNumber() && m.canConvertToLong()) {
            bytes = m.asLong();
        } else if (m.isTextual()) {
            Matcher x = SIZE.matcher(m.asText());
            if (!x.matches()) {
                throw new FieldException("resources.memory", hint);
            }
            long unit = switch (x.group(2) == null ? "" : x.group(2)) {
                case "" -> 1L;
                case "k", "K" -> 1000L;
                case "M" -> 1000L * 1000;
                case "G" -> 1000L * 1000 * 1000;
                case "T" -> 1000L * 1000 * 1000 * 1000;
                case "Ki" -> 1L << 10;
                case "Mi" -> 1L << 20;
                case "Gi" -> 1L << 30;
                default -> 1L << 40;
            };
            try {
                bytes = Math.multiplyExact(Long.parseLong(x.group(1)), unit);
            } catch (ArithmeticException | NumberFormatException e) {
                throw new FieldException("resources.memory", hint);
            }
        } else {
            throw new FieldException("resources.memory", hint);
        }
        if (bytes < (4L << 20)) {
            throw new FieldException("resources.memory", hint);
        }
        return bytes;
    }

    private static Map<String, String> env(JsonNode n) {
        Map<String, String> env = new TreeMap<>();
        if (n == null || n.isNull()) {
            return env;
        }
        requireObject(n, "env");
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            if (!ENV_NAME.matcher(e.getKey()).matches()) {
                throw new FieldException("env." + e.getKey(), "environment variable name '" + e.getKey()
                        + "' must be letters, digits and '_', not starting with a digit");
            }
            if (!e.getValue().isTextual()) {
                throw new FieldException("env." + e.getKey(), "env." + e.getKey() + " must be a string, got "
                        + e.getValue() + " (quote numbers and booleans)");
            }
            env.put(e.getKey(), e.getValue().asText());
        }
        return env;
    }

    private static DeploymentSpec.Autoscaling autoscaling(JsonNode n) {
        if (n == null || n.isNull()) {
            return DeploymentSpec.Autoscaling.DEFAULT;
        }
        requireObject(n, "autoscaling");
        rejectUnknown(n, "autoscaling.", AUTOSCALING);
        OptionalDouble target = OptionalDouble.empty();
        JsonNode t = n.get("target");
        if (t != null && !t.isNull()) {
            if (!t.isNumber() || !(t.asDouble() > 0)) {
                throw new FieldException("autoscaling.target", "autoscaling.target must be a number of concurrent "
                        + "requests per replica above 0, got " + t);
            }
            target = OptionalDouble.of(t.asDouble());
        }
        Duration stable = duration(n, "autoscaling.", "stableWindow", DeploymentSpec.Autoscaling.DEFAULT.stableWindow(),
                MIN_STABLE_WINDOW, MAX_STABLE_WINDOW);
        Duration grace = duration(n, "autoscaling.", "scaleToZeroGrace",
                DeploymentSpec.Autoscaling.DEFAULT.scaleToZeroGrace(), Duration.ZERO, MAX_GRACE);
        return new DeploymentSpec.Autoscaling(target, stable, grace);
    }

    /** A duration member of {@code parent} ({@code prefix} names the parent in errors), or {@code dflt}. */
    private static Duration duration(JsonNode parent, String prefix, String key, Duration dflt, Duration min,
                                     Duration max) {
        String field = prefix + key;
        JsonNode n = parent.get(key);
        if (n == null || n.isNull()) {
            return dflt;
        }
        String hint = field + " must be a duration between " + format(min) + " and " + format(max)
                + " such as \"60s\", \"2m\" or a number of seconds, got " + n;
        Duration d;
        if (n.isIntegralNumber() && n.canConvertToLong()) {
            d = Duration.ofSeconds(n.asLong());
        } else if (n.isTextual()) {
            d = parseDuration(n.asText());
            if (d == null) {
                throw new FieldException(field, hint);
            }
        } else {
            throw new FieldException(field, hint);
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new FieldException(field, hint);
        }
        return d;
    }

    static Duration parseDuration(String text) {
        Matcher m = DURATION.matcher(text);
        try {
            if (m.matches()) {
                long v = Long.parseLong(m.group(1));
                return switch (m.group(2)) {
                    case "ms" -> Duration.ofMillis(v);
                    case "s" -> Duration.ofSeconds(v);
                    case "m" -> Duration.ofMinutes(v);
                    default -> Duration.ofHours(v);
                };
            }
            return text.startsWith("P") || text.startsWith("p") ? Duration.parse(text) : null;
        } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
            return null;
        }
    }

    static String format(Duration d) {
        return d.toMillis() % 1000 != 0 ? d.toMillis() + "ms" : d.toSeconds() + "s";
    }

    private static void rejectUnknown(JsonNode n, String prefix, List<String> known) {
        Set<String> unknown = new LinkedHashSet<>();
        n.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                unknown.add(f);
            }
        });
        if (!unknown.isEmpty()) {
            String first = unknown.iterator().next();
            throw new FieldException(prefix + first, "unknown field '" + prefix + first + "'; the fields here are "
                    + String.join(", ", known.stream().filter(k -> !k.equals("createdAt") && !k.equals("revisions")).toList()));
        }
    }

    private static void requireObject(JsonNode n, String field) {
        if (!n.isObject()) {
            throw new FieldException(field, field + " must be a JSON object, got " + n);
        }
    }

    private static String requiredText(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            throw new FieldException(field, field + " is required");
        }
        if (!v.isTextual() || v.asText().isBlank()) {
            throw new FieldException(field, field + " must be a non-empty string, got " + v);
        }
        return v.asText();
    }

    private static int integer(JsonNode parent, String key, String field, int dflt, int min, int max) {
        JsonNode v = parent.get(key);
        if (v == null || v.isNull()) {
            return dflt;
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < min || v.asInt() > max) {
            throw new FieldException(field, field + " must be a whole number from " + min + " to " + max + ", got " + v);
        }
        return v.asInt();
    }
}
