package io.modelgate.packager.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** An image configuration (OCI image-spec config.md): how to run the image and the diff_ids of its layers. */
@JsonInclude(JsonInclude.Include.NON_EMPTY)
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"created", "author", "architecture", "os", "variant", "config", "rootfs", "history"})
public record ImageConfig(String created, String author, String architecture, String os, String variant,
                          RuntimeConfig config, RootFs rootfs, List<History> history) {

    public ImageConfig {
        config = config == null ? RuntimeConfig.empty() : config;
        rootfs = rootfs == null ? new RootFs("layers", List.of()) : rootfs;
        history = history == null ? List.of() : List.copyOf(history);
    }

    public static ImageConfig parse(byte[] json) {
        ImageConfig config = Json.read(json, ImageConfig.class, "image config");
        if (config.rootfs() == null || !"layers".equals(config.rootfs().type())) {
            throw new ImageFormatException("image config rootfs.type must be 'layers'");
        }
        return config;
    }

    public List<Digest> diffIds() {
        return rootfs.diffIds();
    }

    /** This config with one more layer on top, recorded in rootfs and history. */
    public ImageConfig withLayer(Digest diffId, String createdBy, String comment) {
        List<Digest> ids = new ArrayList<>(rootfs.diffIds());
        ids.add(diffId);
        List<History> h = new ArrayList<>(history);
        h.add(new History(created, createdBy, comment, null));
        return new ImageConfig(created, author, architecture, os, variant, config, new RootFs("layers", ids), h);
    }

    public ImageConfig withRuntime(RuntimeConfig runtime) {
        return new ImageConfig(created, author, architecture, os, variant, runtime, rootfs, history);
    }

    public ImageConfig withCreated(String timestamp) {
        return new ImageConfig(timestamp, author, architecture, os, variant, config, rootfs, history);
    }

    /** The part of the config that says how to run a container (OCI config "config" object). */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonPropertyOrder({"User", "ExposedPorts", "Env", "Entrypoint", "Cmd", "Volumes", "WorkingDir", "Labels", "StopSignal"})
    public record RuntimeConfig(
            @JsonProperty("User") String user,
            @JsonProperty("ExposedPorts") Map<String, Map<String, Object>> exposedPorts,
            @JsonProperty("Env") List<String> env,
            @JsonProperty("Entrypoint") List<String> entrypoint,
            @JsonProperty("Cmd") List<String> cmd,
            @JsonProperty("Volumes") Map<String, Map<String, Object>> volumes,
            @JsonProperty("WorkingDir") String workingDir,
            @JsonProperty("Labels") Map<String, String> labels,
            @JsonProperty("StopSignal") String stopSignal) {

        public RuntimeConfig {
            // Values, not views: a config is hashed into the image's digest, so nothing may change it afterwards.
            exposedPorts = exposedPorts == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(exposedPorts));
            env = env == null ? List.of() : List.copyOf(env);
            entrypoint = entrypoint == null ? null : List.copyOf(entrypoint);
            cmd = cmd == null ? null : List.copyOf(cmd);
            volumes = volumes == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(volumes));
            labels = labels == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(labels));
        }

        public static RuntimeConfig empty() {
            return new RuntimeConfig(null, null, null, null, null, null, null, null, null);
        }

        public RuntimeConfig withEntrypoint(List<String> value) {
            return new RuntimeConfig(user, exposedPorts, env, value, cmd, volumes, workingDir, labels, stopSignal);
        }

        public RuntimeConfig withCmd(List<String> value) {
            return new RuntimeConfig(user, exposedPorts, env, entrypoint, value, volumes, workingDir, labels, stopSignal);
        }

        public RuntimeConfig withEnv(List<String> value) {
            return new RuntimeConfig(user, exposedPorts, value, entrypoint, cmd, volumes, workingDir, labels, stopSignal);
        }

        public RuntimeConfig withWorkingDir(String value) {
            return new RuntimeConfig(user, exposedPorts, env, entrypoint, cmd, volumes, value, labels, stopSignal);
        }

        public RuntimeConfig withUser(String value) {
            return new RuntimeConfig(value, exposedPorts, env, entrypoint, cmd, volumes, workingDir, labels, stopSignal);
        }

        public RuntimeConfig withExposedPort(int port) {
            Map<String, Map<String, Object>> ports = new TreeMap<>(exposedPorts);
            ports.put(port + "/tcp", Map.of());
            return new RuntimeConfig(user, ports, env, entrypoint, cmd, volumes, workingDir, labels, stopSignal);
        }

        public RuntimeConfig withLabels(Map<String, String> extra) {
            Map<String, String> merged = new TreeMap<>(labels);
            merged.putAll(extra);
            return new RuntimeConfig(user, exposedPorts, env, entrypoint, cmd, volumes, workingDir, merged, stopSignal);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonPropertyOrder({"type", "diff_ids"})
    public record RootFs(String type, @JsonProperty("diff_ids") List<Digest> diffIds) {
        public RootFs {
            diffIds = diffIds == null ? List.of() : List.copyOf(diffIds);
        }
    }

    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonPropertyOrder({"created", "created_by", "comment", "empty_layer"})
    public record History(String created, @JsonProperty("created_by") String createdBy, String comment,
                          @JsonProperty("empty_layer") Boolean emptyLayer) {
    }
}
