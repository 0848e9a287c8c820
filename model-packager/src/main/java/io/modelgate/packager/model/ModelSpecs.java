package io.modelgate.packager.model;

import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads model.yaml, reporting every problem with the file, the line and the key. The YAML is read as a node
 * tree (which keeps every key's line) and mapped by hand: a data-binding library would find fewer lines and costs
 * more start-up time than the rest of a cached rebuild.
 */
public final class ModelSpecs {
    public static final String FILE_NAME = "model.yaml";

    private static final Set<String> TOP = Set.of("name", "version", "server", "model", "base", "env", "include", "exclude",
            "layers", "weights", "workdir", "user", "resources", "labels");
    private static final Set<String> SERVER = Set.of("type", "command", "args", "port", "health", "batching");
    private static final Set<String> BATCHING = Set.of("maxBatchSize", "maxBatchDelayMs");
    private static final Set<String> LAYERS = Set.of("dependencies", "server");
    private static final Set<String> RESOURCES = Set.of("cpus", "memory", "gpus");

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
        Node root;
        try {
            root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
        } catch (MarkedYAMLException e) {
            int line = e.getProblemMark() == null ? 0 : e.getProblemMark().getLine() + 1;
            throw new ModelSpecException(file, line, null, "is not valid YAML: " + e.getProblem(), e);
        } catch (YAMLException e) {
            throw new ModelSpecException(file, 0, null, "is not valid YAML: " + e.getMessage(), e);
        }
        Reader r = new Reader(file);
        try {
            Map<String, Node> top = r.mapping(root, "", TOP);
            Map<String, Node> resources = r.mapping(top.get("resources"), "resources", RESOURCES);
            Map<String, Node> layers = r.mapping(top.get("layers"), "layers", LAYERS);
            return new ModelSpec(
                    r.string(top.get("name"), "name"),
                    r.string(top.get("version"), "version"),
                    server(r, top.get("server")),
                    r.string(top.get("model"), "model"),
                    r.string(top.get("base"), "base"),
                    r.stringMap(top.get("env"), "env"),
                    r.strings(top.get("include"), "include"),
                    r.strings(top.get("exclude"), "exclude"),
                    top.containsKey("layers") ? new ModelSpec.LayerRules(r.strings(layers.get("dependencies"), "layers.dependencies"),
                            r.strings(layers.get("server"), "layers.server")) : null,
                    r.strings(top.get("weights"), "weights"),
                    r.string(top.get("workdir"), "workdir"),
                    r.string(top.get("user"), "user"),
                    top.containsKey("resources") ? new ModelSpec.Resources(r.number(resources.get("cpus"), "resources.cpus"),
                            r.string(resources.get("memory"), "resources.memory"), r.integer(resources.get("gpus"), "resources.gpus")) : null,
                    r.stringMap(top.get("labels"), "labels"));
        } catch (ModelSpecException e) {
            if (e.getMessage().startsWith(file.toString())) {
                throw e;
            }
            throw new ModelSpecException(file, lineOf(text, e.key()), e.key(), e.detail(), e);
        }
    }

    private static ModelSpec.Server server(Reader r, Node node) {
        if (node == null) {
            return null;
        }
        Map<String, Node> s = r.mapping(node, "server", SERVER);
        ModelSpec.Batching batching = null;
        if (s.containsKey("batching")) {
            Map<String, Node> b = r.mapping(s.get("batching"), "server.batching", BATCHING);
            batching = new ModelSpec.Batching(r.integer(b.get("maxBatchSize"), "server.batching.maxBatchSize"),
                    r.integer(b.get("maxBatchDelayMs"), "server.batching.maxBatchDelayMs"));
        }
        return new ModelSpec.Server(r.string(s.get("type"), "server.type"), r.command(s.get("command"), "server.command"),
                r.strings(s.get("args"), "server.args"), r.integer(s.get("port"), "server.port"),
                r.string(s.get("health"), "server.health"), batching);
    }

    /** Typed access to the node tree; every error names the key and the line of its value. */
    private record Reader(Path file) {
        Map<String, Node> mapping(Node node, String path, Set<String> known) {
            Map<String, Node> out = new LinkedHashMap<>();
            if (node == null || isNull(node)) {
                return out;
            }
            if (!(node instanceof MappingNode m)) {
                throw wrong(node, path.isEmpty() ? null : path, "a mapping of keys");
            }
            for (NodeTuple t : m.getValue()) {
                String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "?";
                String full = path.isEmpty() ? key : path + "." + key;
                if (!known.contains(key)) {
                    throw new ModelSpecException(file, line(t.getKeyNode()), full, "is not a known key (known keys here: "
                            + String.join(", ", new TreeSet<>(known)) + ")", null);
                }
                if (out.put(key, t.getValueNode()) != null) {
                    throw new ModelSpecException(file, line(t.getKeyNode()), full, "is given twice", null);
                }
            }
            return out;
        }

        String string(Node node, String key) {
            if (node == null || isNull(node)) {
                return null;
            }
            if (!(node instanceof ScalarNode s)) {
                throw wrong(node, key, "a string");
            }
            return s.getValue();
        }

        Integer integer(Node node, String key) {
            String s = string(nonCollection(node, key, "a whole number"), key);
            if (s == null) {
                return null;
            }
            try {
                return Integer.valueOf(s.trim());
            } catch (NumberFormatException e) {
                throw wrong(node, key, "a whole number, not '" + s + "'");
            }
        }

        Double number(Node node, String key) {
            String s = string(nonCollection(node, key, "a number"), key);
            if (s == null) {
                return null;
            }
            try {
                return Double.valueOf(s.trim());
            } catch (NumberFormatException e) {
                throw wrong(node, key, "a number, not '" + s + "'");
            }
        }

        List<String> strings(Node node, String key) {
            if (node == null || isNull(node)) {
                return null;
            }
            if (!(node instanceof SequenceNode seq)) {
                throw wrong(node, key, "a list of strings");
            }
            List<String> out = new ArrayList<>();
            for (Node item : seq.getValue()) {
                if (!(item instanceof ScalarNode s)) {
                    throw wrong(item, key, "a list of strings");
                }
                out.add(s.getValue());
            }
            return out;
        }

        Map<String, String> stringMap(Node node, String key) {
            if (node == null || isNull(node)) {
                return null;
            }
            if (!(node instanceof MappingNode m)) {
                throw wrong(node, key, "a mapping of strings");
            }
            Map<String, String> out = new LinkedHashMap<>();
            for (NodeTuple t : m.getValue()) {
                if (!(t.getKeyNode() instanceof ScalarNode k) || !(t.getValueNode() instanceof ScalarNode v)) {
                    throw wrong(t.getValueNode(), key, "a mapping of strings");
                }
                out.put(k.getValue(), isNull(v) ? "" : v.getValue());
            }
            return out;
        }

        /** A list (exec form) or a string (shell form, run by /bin/sh -c), as in a Dockerfile. */
        List<String> command(Node node, String key) {
            if (node instanceof ScalarNode s && !isNull(s)) {
                return List.of("/bin/sh", "-c", s.getValue());
            }
            return strings(node, key);
        }

        private Node nonCollection(Node node, String key, String expected) {
            if (node != null && !(node instanceof ScalarNode)) {
                throw wrong(node, key, expected);
            }
            return node;
        }

        private ModelSpecException wrong(Node node, String key, String expected) {
            return new ModelSpecException(file, line(node), key, "has the wrong type: expected " + expected, null);
        }

        private static boolean isNull(Node node) {
            return node instanceof ScalarNode s && Tag.NULL.equals(s.getTag());
        }

        private static int line(Node node) {
            return node.getStartMark() == null ? 0 : node.getStartMark().getLine() + 1;
        }
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
