package io.modelgate.runtime.gpu;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Container Device Interface specs (https://github.com/cncf-tags/container-device-interface/blob/main/SPEC.md):
 * {@code cdiVersion}, {@code kind} ("vendor/class"), {@code devices[]} each with a {@code name} and
 * {@code containerEdits}, and spec-wide {@code containerEdits}. Only what a GPU needs is read: device nodes,
 * mounts, env and hooks; other edits (additionalGIDs, intelRdt, netDevices) are ignored.
 */
final class CdiSpecs {
    static final String NVIDIA_GPU = "nvidia.com/gpu";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    record Spec(Path file, String cdiVersion, String kind, Edits edits, List<Device> devices) {
        Spec {
            devices = List.copyOf(devices);
        }
    }

    record Device(String name, Edits edits) {
    }

    record Edits(List<Node> deviceNodes, List<Mount> mounts, List<String> env, List<CdiHook> hooks) {
        static final Edits NONE = new Edits(List.of(), List.of(), List.of(), List.of());

        Edits {
            deviceNodes = List.copyOf(deviceNodes);
            mounts = List.copyOf(mounts);
            env = List.copyOf(env);
            hooks = List.copyOf(hooks);
        }
    }

    /** A device node as the spec gives it: type, major and minor may be left for the runtime to read from the host. */
    record Node(String path, Optional<String> hostPath, Optional<Character> type, Optional<Integer> major,
                Optional<Integer> minor, Optional<String> permissions) {
        Path host() {
            return Path.of(hostPath.orElse(path));
        }
    }

    record Mount(String hostPath, String containerPath, List<String> options) {
        Mount {
            options = List.copyOf(options);
        }

        boolean readOnly() {
            return options.contains("ro");
        }
    }

    private CdiSpecs() {
    }

    /** The specs of {@code kind} in {@code dirs} (*.json, *.yaml), lowest priority first: directory order, then file name. */
    static List<Spec> load(List<Path> dirs, String kind) {
        List<Spec> specs = new ArrayList<>();
        for (Path dir : dirs) {
            for (Path file : HostInventory.list(dir)) {
                String name = file.getFileName().toString();
                if (name.endsWith(".json") || name.endsWith(".yaml")) {
                    HostInventory.read(file).map(text -> parse(file, text))
                            .filter(s -> s.kind().equals(kind)).ifPresent(specs::add);
                }
            }
        }
        return specs;
    }

    /** Parses one spec; the file name picks JSON or YAML and appears in every error. */
    static Spec parse(Path file, String text) {
        JsonNode root;
        try {
            root = (file.toString().endsWith(".json") ? JSON : YAML).readTree(text);
        } catch (JsonProcessingException e) {
            throw invalid(file, "is not valid " + (file.toString().endsWith(".json") ? "JSON" : "YAML") + ": "
                    + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw invalid(file, "is not a CDI spec (expected an object with cdiVersion, kind and devices)");
        }
        String version = text(file, root, "cdiVersion", "the spec");
        if (!version.matches("\\d{1,6}\\.\\d{1,6}\\.\\d{1,6}") || compare(version, "0.3.0") < 0) {
            throw invalid(file, "has cdiVersion '" + version + "'; 0.3.0 or later is understood");
        }
        String kind = text(file, root, "kind", "the spec");
        if (!kind.matches("[A-Za-z0-9][A-Za-z0-9.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw invalid(file, "has kind '" + kind + "'; a kind is vendor/class, e.g. nvidia.com/gpu");
        }
        List<Device> devices = new ArrayList<>();
        for (JsonNode d : array(file, root, "devices", "the spec")) {
            String name = text(file, d, "name", "a device");
            if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.:-]*")) {
                throw invalid(file, "has a device named '" + name + "'; names are letters, digits, '_', '.', ':' and '-'");
            }
            if (devices.stream().anyMatch(x -> x.name().equals(name))) {
                throw invalid(file, "has two devices named '" + name + "'");
            }
            devices.add(new Device(name, edits(file, d.get("containerEdits"), "device " + name)));
        }
        return new Spec(file, version, kind, edits(file, root.get("containerEdits"), "the spec"), devices);
    }

    private static Edits edits(Path file, JsonNode edits, String where) {
        if (edits == null || edits.isNull()) {
            return Edits.NONE;
        }
        List<Node> nodes = new ArrayList<>();
        for (JsonNode n : array(file, edits, "deviceNodes", where)) {
            String path = text(file, n, "path", "a device node of " + where);
            Optional<Character> type = optionalText(file, n, "type").map(t -> {
                if (!t.matches("[cbu]")) {
                    throw invalid(file, "gives device node " + path + " type '" + t + "'; modelgate handles c, u and b");
                }
                return t.equals("u") ? 'c' : t.charAt(0);
            });
            Optional<String> permissions = optionalText(file, n, "permissions").map(p -> {
                if (p.isEmpty() || !p.matches("r?w?m?")) {
                    throw invalid(file, "gives device node " + path + " permissions '" + p + "'; use a subset of rwm");
                }
                return p;
            });
            nodes.add(new Node(path, optionalText(file, n, "hostPath"), type, optionalInt(file, n, "major"),
                    optionalInt(file, n, "minor"), permissions));
        }
        List<Mount> mounts = new ArrayList<>();
        for (JsonNode m : array(file, edits, "mounts", where)) {
            String target = text(file, m, "containerPath", "a mount of " + where);
            List<String> options = new ArrayList<>();
            array(file, m, "options", "mount " + target).forEach(o -> options.add(o.asText()));
            String type = optionalText(file, m, "type").orElse("bind");
            if (!type.equals("bind") && !options.contains("bind") && !options.contains("rbind")) {
                throw invalid(file, "mounts " + target + " as type '" + type + "'; modelgate makes bind mounts only");
            }
            mounts.add(new Mount(text(file, m, "hostPath", "mount " + target), target, options));
        }
        List<String> env = new ArrayList<>();
        for (JsonNode e : array(file, edits, "env", where)) {
            if (!e.isTextual() || e.asText().indexOf('=') < 1) {
                throw invalid(file, "has env entry " + e + " in " + where + "; entries are \"NAME=value\"");
            }
            env.add(e.asText());
        }
        List<CdiHook> hooks = new ArrayList<>();
        for (JsonNode h : array(file, edits, "hooks", where)) {
            List<String> args = new ArrayList<>();
            array(file, h, "args", "a hook").forEach(a -> args.add(a.asText()));
            List<String> hookEnv = new ArrayList<>();
            array(file, h, "env", "a hook").forEach(a -> hookEnv.add(a.asText()));
            hooks.add(new CdiHook(text(file, h, "hookName", "a hook of " + where), text(file, h, "path", "a hook of " + where),
                    args, hookEnv));
        }
        return new Edits(nodes, mounts, env, hooks);
    }

    private static String text(Path file, JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || !v.isValueNode() || v.asText().isBlank()) {
            throw invalid(file, "lacks " + field + " in " + where);
        }
        return v.asText();
    }

    private static Optional<String> optionalText(Path file, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.isValueNode()) {
            throw invalid(file, "has " + field + " " + v + ", which should be a string");
        }
        return Optional.of(v.asText());
    }

    private static Optional<Integer> optionalInt(Path file, JsonNode node, String field) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return Optional.empty();
        }
        if (!v.canConvertToInt() || v.asInt() < 0) {
            throw invalid(file, "has " + field + " " + v + ", which should be a device number");
        }
        return Optional.of(v.asInt());
    }

    private static List<JsonNode> array(Path file, JsonNode node, String field, String where) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            return List.of();
        }
        if (!v.isArray()) {
            throw invalid(file, "has " + field + " in " + where + " that is not a list");
        }
        List<JsonNode> items = new ArrayList<>();
        v.forEach(items::add);
        return items;
    }

    private static int compare(String a, String b) {
        String[] x = a.split("\\."), y = b.split("\\.");
        for (int i = 0; i < 3; i++) {
            int c = Integer.compare(Integer.parseInt(x[i]), Integer.parseInt(y[i]));
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    private static GpuException invalid(Path file, String what) {
        return new GpuException("CDI spec " + file + " " + what + " (fix the file, or regenerate it with "
                + "'nvidia-ctk cdi generate --output=" + file + "', or remove it)");
    }
}
