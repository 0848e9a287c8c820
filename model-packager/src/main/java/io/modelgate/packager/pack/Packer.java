package io.modelgate.packager.pack;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageConfig;
import io.modelgate.packager.image.ImageManifest;
import io.modelgate.packager.image.ImageRef;
import io.modelgate.packager.image.Json;
import io.modelgate.packager.image.MediaTypes;
import io.modelgate.packager.io.Sizes;
import io.modelgate.packager.layer.Compression;
import io.modelgate.packager.layer.Layer;
import io.modelgate.packager.layer.LayerTarWriter;
import io.modelgate.packager.layer.Layers;
import io.modelgate.packager.model.FileSelection;
import io.modelgate.packager.model.ModelSpec;
import io.modelgate.packager.model.ModelSpecs;
import io.modelgate.packager.store.ImageStore;
import io.modelgate.packager.store.StoredImage;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;

/**
 * Turns a model directory into an OCI image in the store. Layers go from least to most often changed — base,
 * server dependencies, server code, user code, weights (each file of 10 MB or more in a layer of its own) — so a
 * rebuild after a code change reuses everything else. Identical input gives identical digests: entries sorted,
 * one fixed timestamp, uid/gid 0, normalised modes.
 */
public final class Packer {
    /** Files at least this large get a layer of their own, so changing one does not re-upload the others. */
    public static final long OWN_LAYER_THRESHOLD = 10L * 1000 * 1000;
    public static final String LABEL_PREFIX = "io.modelgate.";

    private final ImageStore store;
    private final Path home;
    private final FileHashes hashes;
    private final LayerCache cache;
    private final java.util.concurrent.atomic.AtomicLong bytesLayered = new java.util.concurrent.atomic.AtomicLong();

    private Packer(ImageStore store, Path home) {
        this.store = store;
        this.home = home;
        this.hashes = new FileHashes(home.resolve("cache").resolve("files"));
        this.cache = new LayerCache(home.resolve("cache").resolve("layers"), store);
    }

    /** A packer writing into the store under a modelgate home, with its caches beside it. */
    public static Packer create(Path home) {
        return new Packer(ImageStore.open(home), home.toAbsolutePath().normalize());
    }

    public ImageStore store() {
        return store;
    }

    public PackResult pack(Path modelDir, PackOptions options) throws IOException {
        Path dir = modelDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new java.nio.file.NoSuchFileException(dir + " (pack needs a model directory)");
        }
        ModelSpec spec = ModelSpecs.read(dir);
        ImageRef ref = options.tag() != null ? options.tag() : ImageRef.parse(spec.name() + ":" + spec.version());
        var progress = options.progress();
        progress.accept("Packing " + dir.getFileName() + " as " + ref);

        long readBefore = bytesLayered.get();
        try (AutoCloseable ignored = store.writeSession()) {
            StoredImage base = "scratch".equals(spec.base()) ? null : options.baseImages().resolve(store, spec.base());
            if (base != null) {
                progress.accept("  base        " + spec.base() + " (" + base.manifest().layers().size() + " layers, " + base.digest().shortHex() + ")");
            }
            List<ModelFile> files = scan(dir, FileSelection.of(dir, spec));
            List<LayerPlan> plans = new ArrayList<>();
            BuiltinServer.Parts server = null;
            if (ModelSpec.Server.ONNX.equals(spec.server().type())) {
                server = new BuiltinServer(home.resolve("cache"), progress, this::scanAll).prepare(spec, files, dir, options.created());
                plans.addAll(server.layers());
            }
            plans.addAll(plan(spec, files));
            List<Built> built = build(plans, options);

            List<Descriptor> layers = new ArrayList<>();
            ImageConfig config = baseConfig(base, options).withCreated(timestamp(options));
            if (base != null) {
                layers.addAll(base.manifest().layers());
            }
            String by = "modelgate pack " + spec.name() + ":" + spec.version();
            List<PackResult.LayerReport> reports = new ArrayList<>();
            for (Built b : built) {
                layers.add(b.layer().blob());
                config = config.withLayer(b.layer().diffId(), by + ": " + b.plan().description(), null);
                reports.add(new PackResult.LayerReport(b.plan().description(), b.plan().files().size(),
                        b.layer().blob().size(), b.layer().blob().digest(), b.cached()));
            }
            config = config.withRuntime(runtimeConfig(spec, base, server));
            byte[] configBytes = Json.write(config);
            Digest configDigest = store.writeBlob(configBytes);
            ImageManifest manifest = new ImageManifest(2, MediaTypes.OCI_MANIFEST,
                    Descriptor.of(MediaTypes.OCI_CONFIG, configDigest, configBytes.length), layers, manifestAnnotations(spec, base));
            // Every blob the manifest names was written or found above, inside this write session: tag directly
            // rather than through putImage, which would parse the documents just built.
            byte[] manifestBytes = Json.write(manifest);
            Digest digest = store.writeBlob(manifestBytes);
            store.tag(ref, Descriptor.of(MediaTypes.OCI_MANIFEST, digest, manifestBytes.length));
            return new PackResult(ref, digest, reports, bytesLayered.get() - readBefore);
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    // ---------------------------------------------------------------- scanning

    private List<ModelFile> scan(Path dir, FileSelection selection) throws IOException {
        List<Path> dirs = new ArrayList<>();
        List<Path> regular = new ArrayList<>();
        List<Path> links = new ArrayList<>();
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) {
                if (d.equals(dir)) {
                    return FileVisitResult.CONTINUE;
                }
                String rel = relative(dir, d);
                if (!selection.mayContainIncluded(rel)) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                if (selection.includes(rel)) {
                    dirs.add(d);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                if (!selection.includes(relative(dir, f))) {
                    return FileVisitResult.CONTINUE;
                }
                if (attrs.isRegularFile()) {
                    regular.add(f);
                } else if (attrs.isSymbolicLink()) {
                    links.add(f);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        List<ModelFile> out = new ArrayList<>();
        for (Path d : dirs) {
            out.add(new ModelFile(relative(dir, d), ModelFile.Kind.DIRECTORY, 0755, 0, null, null, d, null));
        }
        for (Path l : links) {
            out.add(new ModelFile(relative(dir, l), ModelFile.Kind.SYMLINK, 0777, 0, null, Files.readSymbolicLink(l).toString(), l, null));
        }
        // A stat per file (no reads: the stat cache knows unchanged files' digests); threads only pay for many files.
        var stream = regular.size() > 256 ? regular.parallelStream() : regular.stream();
        try {
            out.addAll(stream.map(f -> {
                try {
                    boolean exec = Files.getPosixFilePermissions(f, LinkOption.NOFOLLOW_LINKS).contains(PosixFilePermission.OWNER_EXECUTE);
                    FileHashes.Stat stat = FileHashes.stat(f);
                    return new ModelFile(relative(dir, f), ModelFile.Kind.FILE, exec ? 0755 : 0644, stat.size(), hashes.lookup(stat), null, f, stat);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
                }
            }).toList());
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        out.sort((a, b) -> a.path().compareTo(b.path()));
        return out;
    }

    /** Every file of a directory, for the layers the built-in server adds (stat-cache digests where known). */
    private List<ModelFile> scanAll(Path dir) throws IOException {
        return scan(dir, FileSelection.of(List.of(), List.of()));
    }

    private static String relative(Path root, Path p) {
        return root.relativize(p).toString().replace(java.io.File.separatorChar, '/');
    }

    // ---------------------------------------------------------------- planning

    /** One layer to build: a description for people and the entries in it (sorted). */
    record LayerPlan(String description, String prefix, List<ModelFile> files) {
        /** The entry name of a file of this layer: its path under the prefix ("" puts it at the image's root). */
        String name(ModelFile f) {
            return prefix.isEmpty() ? f.path() : prefix + "/" + f.path();
        }
    }

    private record Built(LayerPlan plan, Layer layer, boolean cached) {
    }

    static List<LayerPlan> plan(ModelSpec spec, List<ModelFile> files) {
        String prefix = spec.workdir().substring(1);
        Predicate<String> deps = FileSelection.anyOf(spec.layers().dependencies());
        Predicate<String> server = FileSelection.anyOf(spec.layers().server());
        Predicate<String> weights = FileSelection.anyOf(spec.weights());
        Map<String, List<ModelFile>> groups = new LinkedHashMap<>();
        for (String g : List.of("server dependencies", "server code", "user code", "weights")) {
            groups.put(g, new ArrayList<>());
        }
        TreeMap<String, List<ModelFile>> own = new TreeMap<>();
        for (ModelFile f : files) {
            String p = f.path();
            if (f.kind() == ModelFile.Kind.FILE && f.size() >= OWN_LAYER_THRESHOLD) {
                own.put("weights: " + p, List.of(f));
            } else if (deps.test(p)) {
                groups.get("server dependencies").add(f);
            } else if (server.test(p)) {
                groups.get("server code").add(f);
            } else if (f.kind() != ModelFile.Kind.DIRECTORY && weights.test(p)) {
                groups.get("weights").add(f);
            } else {
                groups.get("user code").add(f);
            }
        }
        List<LayerPlan> plans = new ArrayList<>();
        groups.forEach((name, list) -> {
            if (!list.isEmpty()) {
                plans.add(new LayerPlan(name, prefix, list));
            }
        });
        own.forEach((name, list) -> plans.add(new LayerPlan(name, prefix, list)));
        return plans;
    }

    // ---------------------------------------------------------------- building

    private List<Built> build(List<LayerPlan> plans, PackOptions options) throws IOException {
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(plans.size() + 1, Math.max(2, Runtime.getRuntime().availableProcessors())));
        try {
            List<Future<Built>> futures = new ArrayList<>();
            for (LayerPlan plan : plans) {
                futures.add(pool.submit(() -> buildOne(plan, options)));
            }
            List<Built> built = new ArrayList<>();
            for (int i = 0; i < futures.size(); i++) {
                Built b = futures.get(i).get();
                built.add(b);
                options.progress().accept(String.format("  layer %d/%d %-26s %5d entries  %10s  %s%s", i + 1, plans.size(),
                        b.plan().description().length() > 26 ? b.plan().description().substring(0, 23) + "..." : b.plan().description(),
                        b.plan().files().size(), Sizes.human(b.layer().blob().size()), b.layer().blob().digest().shortHex(),
                        b.cached() ? "  (cached)" : ""));
            }
            return built;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException(cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("pack interrupted");
        } finally {
            pool.shutdownNow();
        }
    }

    private Built buildOne(LayerPlan plan, PackOptions options) throws IOException {
        String prefix = plan.prefix();
        // Weights and the runtime's native code barely compress: a fast level saves CPU for a few percent of size.
        Compression.Effort effort = plan.description().startsWith("weights") || plan.description().startsWith("runtime")
                || plan.description().startsWith("base") ? Compression.Effort.FAST : Compression.Effort.DEFAULT;
        String format = options.compression().name() + "/" + effort.name();
        long epoch = options.created().getEpochSecond();
        boolean allKnown = plan.files().stream().allMatch(f -> f.kind() != ModelFile.Kind.FILE || f.content() != null);
        if (allKnown) {
            var hit = cache.find(LayerCache.key(plan.files(), prefix, format, epoch));
            if (hit.isPresent()) {
                return new Built(plan, hit.get(), true);
            }
        }
        List<ModelFile> resolved = new ArrayList<>(plan.files().size());
        try (Layers.Sink sink = Layers.open(store, options.compression(), effort)) {
            LayerTarWriter tar = new LayerTarWriter(sink, options.created());
            TreeSet<String> written = new TreeSet<>();
            if (!prefix.isEmpty()) {
                for (String parent : parents(prefix + "/x")) {
                    tar.directory(parent, 0755);
                    written.add(parent);
                }
            }
            for (ModelFile f : plan.files()) {
                String name = plan.name(f);
                for (String parent : parents(name)) {
                    if (written.add(parent)) {
                        tar.directory(parent, 0755);
                    }
                }
                switch (f.kind()) {
                    case DIRECTORY -> {
                        if (written.add(name)) {
                            tar.directory(name, f.mode());
                        }
                        resolved.add(f);
                    }
                    case SYMLINK -> {
                        tar.symlink(name, f.linkTarget());
                        resolved.add(f);
                    }
                    case FILE -> resolved.add(f.withContent(copyFile(tar, name, f)));
                }
            }
            tar.finish();
            Layer layer = sink.finish();
            cache.put(LayerCache.key(resolved, prefix, format, epoch), layer);
            return new Built(plan, layer, false);
        }
    }

    /** Streams a file into the tar, hashing it on the way; refuses a file that changed since it was scanned. */
    private Digest copyFile(LayerTarWriter tar, String name, ModelFile f) throws IOException {
        MessageDigest sha = Digest.newSha256();
        try (InputStream in = new DigestInputStream(Files.newInputStream(f.source()), sha)) {
            tar.file(name, f.mode(), f.size(), in);
        }
        bytesLayered.addAndGet(f.size());
        Digest digest = Digest.fromHash(sha.digest());
        if (!FileHashes.stat(f.source()).equals(f.stat()) || (f.content() != null && !f.content().equals(digest))) {
            throw new IOException(f.source() + " changed while it was being packed; pack again once it is written");
        }
        hashes.remember(f.stat(), digest);
        return digest;
    }

    /** The directories above a path, outermost first ("a/b/c" gives "a", "a/b"). */
    private static List<String> parents(String path) {
        List<String> out = new ArrayList<>();
        int i = path.indexOf('/');
        while (i > 0) {
            out.add(path.substring(0, i));
            i = path.indexOf('/', i + 1);
        }
        return out;
    }

    // ---------------------------------------------------------------- config

    private static ImageConfig baseConfig(StoredImage base, PackOptions options) {
        if (base != null) {
            ImageConfig c = base.config();
            return new ImageConfig(null, c.author(), c.architecture(), c.os(), c.variant(), c.config(), c.rootfs(), c.history());
        }
        return new ImageConfig(null, null, Descriptor.Platform.hostArchitecture(), "linux", null, null, null, null);
    }

    private static String timestamp(PackOptions options) {
        return DateTimeFormatter.ISO_INSTANT.format(options.created());
    }

    private static ImageConfig.RuntimeConfig runtimeConfig(ModelSpec spec, StoredImage base, BuiltinServer.Parts server) {
        ImageConfig.RuntimeConfig rc = base == null ? ImageConfig.RuntimeConfig.empty() : base.config().config();
        Map<String, String> env = new LinkedHashMap<>();
        for (String e : rc.env()) {
            int eq = e.indexOf('=');
            env.put(eq < 0 ? e : e.substring(0, eq), eq < 0 ? "" : e.substring(eq + 1));
        }
        env.putIfAbsent("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.put("PORT", String.valueOf(spec.server().port()));
        env.put("MODEL_NAME", spec.name());
        env.put("MODEL_VERSION", spec.version());
        if (server != null) {
            env.putAll(server.env());
        }
        env.putAll(spec.env());
        List<String> envList = env.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();

        Map<String, String> labels = new TreeMap<>(spec.labels());
        labels.put("org.opencontainers.image.title", spec.name());
        labels.put("org.opencontainers.image.version", spec.version());
        labels.put(LABEL_PREFIX + "server.type", spec.server().type());
        labels.put(LABEL_PREFIX + "server.port", String.valueOf(spec.server().port()));
        labels.put(LABEL_PREFIX + "server.health", spec.server().health());
        ModelSpec.Resources r = spec.resources();
        if (r.cpus() != null) {
            labels.put(LABEL_PREFIX + "resources.cpus", String.valueOf(r.cpus()));
        }
        if (r.memory() != null) {
            labels.put(LABEL_PREFIX + "resources.memory", String.valueOf(r.memoryBytes()));
        }
        if (r.gpus() != null) {
            labels.put(LABEL_PREFIX + "resources.gpus", String.valueOf(r.gpus()));
        }
        if (base != null) {
            labels.put("org.opencontainers.image.base.name", spec.base());
            labels.put("org.opencontainers.image.base.digest", base.digest().toString());
        }
        if (server != null) {
            labels.putAll(server.labels());
            rc = rc.withEntrypoint(server.entrypoint()).withCmd(spec.server().args()).withWorkingDir(server.workingDir())
                    .withUser(server.user());
        } else {
            rc = rc.withEntrypoint(spec.server().command()).withCmd(spec.server().args()).withWorkingDir(spec.workdir());
        }
        rc = rc.withEnv(envList).withExposedPort(spec.server().port()).withLabels(labels);
        if (spec.user() != null) {
            rc = rc.withUser(spec.user());
        }
        return rc;
    }

    private static Map<String, String> manifestAnnotations(ModelSpec spec, StoredImage base) {
        if (base == null) {
            return Map.of();
        }
        return Map.of("org.opencontainers.image.base.name", spec.base(),
                "org.opencontainers.image.base.digest", base.digest().toString());
    }
}
