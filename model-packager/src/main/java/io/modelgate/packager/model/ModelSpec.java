package io.modelgate.packager.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What {@code model.yaml} says about a model: how to run its server and how to lay it out as an image.
 * Constructed only through {@link ModelSpecs#read}, which reports errors with file, line and key.
 */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
public record ModelSpec(
        String name,
        String version,
        Server server,
        String model,
        String base,
        Map<String, String> env,
        List<String> include,
        List<String> exclude,
        LayerRules layers,
        List<String> weights,
        String workdir,
        String user,
        Resources resources,
        Map<String, String> labels) {

    static final Pattern NAME = Pattern.compile("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*");
    static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    static final Pattern MEMORY = Pattern.compile("(\\d+)([kKmMgG](?:i|iB|B|b)?)?");
    /** Extensions of files that hold weights; such files go to the weights layers, after the code. */
    public static final List<String> DEFAULT_WEIGHTS = List.of(
            "**/*.onnx", "**/*.onnx.data", "**/*.pt", "**/*.pth", "**/*.safetensors", "**/*.bin", "**/*.h5",
            "**/*.pb", "**/*.ckpt", "**/*.gguf", "**/*.tflite", "**/*.pkl", "**/*.joblib", "**/*.npy", "**/*.npz");

    public ModelSpec {
        require(name != null, "name", "is required (the image name, e.g. 'iris')");
        require(NAME.matcher(name).matches(), "name",
                "'" + name + "' is not a valid image name (lowercase letters, digits and . _ - separators)");
        version = version == null ? "latest" : version;
        require(version.matches("[\\w][\\w.-]{0,127}"), "version",
                "'" + version + "' cannot be an image tag (letters, digits, _ . -; up to 128; not starting with . or -)");
        require(server != null, "server", "is required (at least 'type: onnx', or 'type: command' and 'command')");
        require(model == null || (!model.startsWith("/") && !model.contains("..")), "model",
                "'" + model + "' must be a path inside the model directory");
        base = base == null ? "scratch" : base;
        env = env == null ? Map.of() : new TreeMap<>(env);
        for (String key : env.keySet()) {
            require(ENV_NAME.matcher(key).matches(), "env." + key, "'" + key + "' is not a valid environment variable name");
        }
        include = include == null ? List.of() : List.copyOf(include);
        exclude = exclude == null ? List.of() : List.copyOf(exclude);
        layers = layers == null ? new LayerRules(null, null) : layers;
        weights = weights == null ? DEFAULT_WEIGHTS : List.copyOf(weights);
        workdir = workdir == null ? "/model" : workdir;
        require(workdir.startsWith("/") && !workdir.contains("..") && !workdir.equals("/"), "workdir",
                "'" + workdir + "' must be an absolute directory other than / without '..'");
        resources = resources == null ? new Resources(null, null, null) : resources;
        labels = labels == null ? Map.of() : new TreeMap<>(labels);
    }

    /** The server that runs the model. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Server(
            String type,
            List<String> command,
            List<String> args,
            Integer port,
            String health,
            Batching batching) {

        public static final String ONNX = "onnx";
        public static final String COMMAND = "command";

        public Server {
            require(type != null, "server.type", "is required (onnx: the built-in ONNX Runtime server; command: your own)");
            require(COMMAND.equals(type) || ONNX.equals(type), "server.type", "'" + type + "' is not a server type (supported: onnx, command)");
            if (COMMAND.equals(type)) {
                require(command != null && !command.isEmpty(), "server.command", "is required for server type 'command' (a list, e.g. [python3, serve.py], or a shell string)");
                require(batching == null, "server.batching", "is for the built-in server (type onnx); a command server batches on its own");
            } else {
                require(command == null, "server.command", "is not used with type onnx: the built-in server runs the model");
            }
            args = args == null ? List.of() : List.copyOf(args);
            port = port == null ? 8080 : port;
            require(port >= 1 && port <= 65535, "server.port", port + " is out of range (1-65535)");
            health = health == null ? "/v2/health/ready" : health;
            require(health.startsWith("/"), "server.health", "'" + health + "' must be a path starting with /");
        }
    }

    /** Dynamic batching of the built-in server: off unless both are set. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Batching(Integer maxBatchSize, Integer maxBatchDelayMs) {
        public Batching {
            require(maxBatchSize != null && maxBatchSize >= 2, "server.batching.maxBatchSize", "must be a whole number of at least 2 (1 batches nothing)");
            require(maxBatchDelayMs != null && maxBatchDelayMs >= 0 && maxBatchDelayMs <= 10_000, "server.batching.maxBatchDelayMs",
                    "must be from 0 to 10000 (milliseconds)");
        }
    }

    /** Which files form the server-dependency and server-code layers (everything else is user code or weights). */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record LayerRules(List<String> dependencies, List<String> server) {
        public LayerRules {
            dependencies = dependencies == null ? List.of() : List.copyOf(dependencies);
            server = server == null ? List.of() : List.copyOf(server);
        }
    }

    /** Default resources for the model's replicas; recorded as labels so the runtime can apply them. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    public record Resources(Double cpus, String memory, Integer gpus) {
        public Resources {
            require(cpus == null || cpus > 0, "resources.cpus", cpus + " must be more than 0");
            require(memory == null || MEMORY.matcher(memory).matches(), "resources.memory",
                    "'" + memory + "' is not a size (e.g. 512Mi, 2Gi, 256m)");
            require(gpus == null || gpus >= 0, "resources.gpus", gpus + " must not be negative");
        }

        /** The memory limit in bytes, or null when none is set. */
        @JsonProperty(access = JsonProperty.Access.READ_ONLY)
        public Long memoryBytes() {
            if (memory == null) {
                return null;
            }
            var m = MEMORY.matcher(memory);
            m.matches();
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "" : m.group(2).substring(0, 1).toLowerCase();
            return switch (unit) {
                case "k" -> n << 10;
                case "m" -> n << 20;
                case "g" -> n << 30;
                default -> n;
            };
        }
    }

    private static void require(boolean ok, String key, String message) {
        if (!ok) {
            throw new ModelSpecException(key, message);
        }
    }
}
