package io.modelgate.gateway.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.modelgate.gateway.problem.Problem;
import io.modelgate.gateway.problem.ProblemException;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.model.ModelSpec;
import io.modelgate.packager.model.ModelSpecException;
import io.modelgate.packager.model.ModelSpecs;
import io.modelgate.packager.pack.PackOptions;
import io.modelgate.packager.pack.Packer;
import io.modelgate.packager.store.ImageNotFoundException;
import jakarta.ws.rs.core.MediaType;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A model directory uploaded to POST /models as a tar (optionally gzip-compressed), with the deployment's fields as
 * query parameters:
 * <pre>
 * tar -C iris -cf - . | curl -X POST 'localhost:8080/models?name=iris&amp;maxReplicas=2' \
 *     -H 'Authorization: Bearer …' -H 'Content-Type: application/x-tar' --data-binary @-
 * </pre>
 * The tar is unpacked safely ({@link SafeTar}) into a directory of its own under {@code <home>/uploads}, its
 * model.yaml is checked, and {@link Received#pack} packs it into the store as {@code modelgate pack} would; the
 * directory is removed when the {@link Received} is closed, whatever happened.
 */
public final class ModelUpload {
    /** The query parameters and the deployment fields they fill in. */
    static final Map<String, String> FIELDS = Map.ofEntries(
            Map.entry("name", "name"), Map.entry("minReplicas", "minReplicas"), Map.entry("maxReplicas", "maxReplicas"),
            Map.entry("containerConcurrency", "containerConcurrency"), Map.entry("cpus", "resources.cpus"),
            Map.entry("memory", "resources.memory"), Map.entry("gpus", "resources.gpus"),
            Map.entry("target", "autoscaling.target"), Map.entry("stableWindow", "autoscaling.stableWindow"),
            Map.entry("scaleToZeroGrace", "autoscaling.scaleToZeroGrace"), Map.entry("timeout", "timeout"));
    private static final Set<String> NUMBERS = Set.of("minReplicas", "maxReplicas", "containerConcurrency", "cpus",
            "gpus", "target");
    private static final Set<String> TAR_TYPES = Set.of("application/x-tar", "application/tar", "application/gzip",
            "application/x-gzip", "application/x-gtar", "application/x-compressed-tar");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path home;
    private final Path uploads;
    private final long maxBytes;
    private final ImageSources images;

    public ModelUpload(Path home, long maxBytes) {
        this.home = home.toAbsolutePath().normalize();
        this.uploads = this.home.resolve("uploads");
        this.maxBytes = maxBytes;
        this.images = new ImageSources(this.home);
        removeLeftOvers();
    }

    /** Whether a request body of this type is a model directory to unpack (rather than a JSON deployment). */
    public static boolean accepts(MediaType type) {
        return type != null && TAR_TYPES.contains(type.getType() + "/" + type.getSubtype());
    }

    /**
     * Reads and unpacks the body and reads its model.yaml; a problem (400 naming what is wrong, 413 when over
     * {@code modelgate.max-upload-bytes}) otherwise, and then nothing is left on disk.
     */
    public Received receive(InputStream body) throws IOException {
        Files.createDirectories(uploads);
        Path dir = Files.createTempDirectory(uploads, "upload-").toRealPath();
        try {
            SafeTar.unpack(new Limited(body, maxBytes), dir, maxBytes);
            Path root = modelRoot(dir);
            return new Received(dir, root, readSpec(root));
        } catch (SafeTar.TooLargeException e) {
            delete(dir);
            throw Problem.of(413, "Upload too large", e.getMessage() + " (modelgate.max-upload-bytes); "
                    + "push the image to a registry and deploy it by reference instead").toException();
        } catch (SafeTar.UnsafeEntryException e) {
            delete(dir);
            throw Problem.badField("model", "the uploaded tar is refused: " + e.getMessage()).toException();
        } catch (IOException e) {
            delete(dir);
            throw Problem.badField("model", "the upload is not a readable tar of a model directory: " + e.getMessage()).toException();
        } catch (RuntimeException e) {
            delete(dir);
            throw e;
        }
    }

    /** An unpacked model directory; closing it removes the directory. */
    public final class Received implements AutoCloseable {
        private final Path dir;
        private final Path root;
        private final ModelSpec spec;

        private Received(Path dir, Path root, ModelSpec spec) {
            this.dir = dir;
            this.root = root;
            this.spec = spec;
        }

        /**
         * The deployment as POST /models takes it in JSON, from the query parameters: name (default: model.yaml's
         * name), tag (the image to pack, default name:version from model.yaml), minReplicas, maxReplicas,
         * containerConcurrency, timeout, cpus, memory, gpus, env (repeated, KEY=VALUE), target, stableWindow,
         * scaleToZeroGrace.
         */
        public byte[] deployment(Map<String, List<String>> query) {
            ObjectNode n = MAPPER.createObjectNode();
            for (Map.Entry<String, List<String>> p : query.entrySet()) {
                String key = p.getKey();
                if (!FIELDS.containsKey(key) && !key.equals("env") && !key.equals("tag")) {
                    throw Problem.badField(key, "unknown query parameter '" + key + "'; with an uploaded model the "
                            + "parameters are tag, env and " + String.join(", ", FIELDS.keySet().stream().sorted().toList()))
                            .toException();
                }
                if (!key.equals("env") && p.getValue().size() > 1) {
                    throw Problem.badField(key, "query parameter '" + key + "' is given " + p.getValue().size() + " times").toException();
                }
            }
            FIELDS.forEach((param, field) -> {
                List<String> values = query.get(param);
                if (values == null || values.isEmpty()) {
                    return;
                }
                ObjectNode parent = n;
                String leaf = field;
                int dot = field.indexOf('.');
                if (dot > 0) {
                    String group = field.substring(0, dot);
                    parent = n.has(group) ? (ObjectNode) n.get(group) : n.putObject(group);
                    leaf = field.substring(dot + 1);
                }
                putValue(parent, leaf, values.get(0), NUMBERS.contains(param));
            });
            if (!n.has("name")) {
                n.put("name", spec.name());
            }
            n.put("image", tag(query).toString());
            List<String> env = query.get("env");
            if (env != null) {
                ObjectNode e = n.putObject("env");
                for (String kv : env) {
                    int eq = kv.indexOf('=');
                    if (eq <= 0) {
                        throw Problem.badField("env", "env must be KEY=VALUE, got '" + kv + "'").toException();
                    }
                    e.put(kv.substring(0, eq), kv.substring(eq + 1));
                }
            }
            return n.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** Packs the directory into the store and returns the image's reference; problems name model.yaml or the upload. */
        public String pack(Map<String, List<String>> query) throws IOException {
            ImageRef tag = tag(query);
            try {
                Packer.create(home).pack(root, PackOptions.defaults().withTag(tag).withBaseImages(images));
                return tag.toString();
            } catch (ModelSpecException e) {
                throw Problem.badField("model", withoutDir(e.getMessage())).toException();
            } catch (ImageNotFoundException | IllegalArgumentException | NoSuchFileException e) {
                throw Problem.badField("model", "packing the uploaded model failed: " + withoutDir(e.getMessage())).toException();
            }
        }

        private ImageRef tag(Map<String, List<String>> query) {
            List<String> t = query.get("tag");
            String text = t == null || t.isEmpty() ? spec.name() + ":" + spec.version() : t.get(0);
            try {
                ImageRef ref = ImageRef.parse(text);
                if (ref.registry() != null || ref.digest() != null) {
                    throw new IllegalArgumentException("the packed image is tagged in the store: give name:tag, "
                            + "without a registry or digest");
                }
                return ref;
            } catch (IllegalArgumentException e) {
                throw Problem.badField("tag", "tag '" + text + "' is not usable: " + e.getMessage()).toException();
            }
        }

        @Override
        public void close() {
            delete(dir);
        }

        private String withoutDir(String message) {
            return message == null ? "" : message.replace(root + "/", "").replace(root.toString(), "the upload");
        }
    }

    /** model.yaml at the root, or inside the single top-level directory ({@code tar -cf - iris}). */
    private static Path modelRoot(Path dir) throws IOException {
        if (Files.exists(dir.resolve(ModelSpecs.FILE_NAME))) {
            return dir;
        }
        try (Stream<Path> top = Files.list(dir)) {
            List<Path> entries = top.toList();
            if (entries.size() == 1 && Files.isDirectory(entries.get(0), java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    && Files.exists(entries.get(0).resolve(ModelSpecs.FILE_NAME))) {
                return entries.get(0);
            }
        }
        throw Problem.badField("model", "the uploaded tar has no model.yaml at its root; tar the model directory's "
                + "contents (tar -C DIR -cf - .)").toException();
    }

    /** model.yaml, with errors naming "model.yaml:line: 'key'" rather than the upload's directory. */
    private static ModelSpec readSpec(Path root) throws IOException {
        Path file = root.resolve(ModelSpecs.FILE_NAME);
        if (!Files.isRegularFile(file, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw Problem.badField("model", "model.yaml in the upload is not a regular file").toException();
        }
        try {
            return ModelSpecs.parse(Path.of(ModelSpecs.FILE_NAME), Files.readString(file, StandardCharsets.UTF_8));
        } catch (ModelSpecException e) {
            throw Problem.badField("model", e.getMessage()).toException();
        } catch (java.nio.charset.MalformedInputException e) {
            throw Problem.badField("model", "model.yaml is not UTF-8 text").toException();
        }
    }

    private static void putValue(ObjectNode parent, String leaf, String value, boolean number) {
        if (number) {
            try {
                if (value.matches("-?\\d+")) {
                    parent.put(leaf, Long.parseLong(value));
                    return;
                }
                if (value.matches("-?\\d*\\.\\d+")) {
                    parent.put(leaf, Double.parseDouble(value));
                    return;
                }
            } catch (NumberFormatException tooBig) {
                // left as text: the deployment parser names the field and what it expects
            }
        }
        parent.put(leaf, value);
    }

    private void removeLeftOvers() {
        if (!Files.isDirectory(uploads)) {
            return;
        }
        // a gateway killed while it unpacked leaves its directory; nothing else writes here
        try (Stream<Path> old = Files.list(uploads)) {
            old.forEach(ModelUpload::delete);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + uploads + ": " + e.getMessage(), e);
        }
    }

    static void delete(Path dir) {
        if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove the upload directory " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The request body, cut off with {@link SafeTar.TooLargeException} past the limit. */
    private static final class Limited extends FilterInputStream {
        private final long max;
        private long read;

        Limited(InputStream in, long max) {
            super(in);
            this.max = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(long n) throws SafeTar.TooLargeException {
            read += n;
            if (read > max) {
                throw new SafeTar.TooLargeException("the upload is over " + max + " bytes");
            }
        }
    }
}
