package io.modelgate.packager.pack;

import io.modelgate.packager.image.Digest;
import io.modelgate.packager.io.Trees;
import io.modelgate.packager.model.ModelSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The layers of an image for {@code server: {type: onnx}}: everything below the model, so that the image runs
 * on a machine with no JDK. From the bottom: the system libraries the Java runtime and ONNX Runtime link
 * against, copied from this machine (the image's labels name their Debian packages and versions); a Java runtime
 * made by jlink with only the modules the server uses; the server's libraries with ONNX Runtime's native code
 * for the image's platform only; the server itself with a class-data-sharing archive made at pack time from a
 * run of the server on the model, so that it starts fast. Each part is built once and cached by its inputs.
 */
final class BuiltinServer {
    static final String ROOT = "opt/modelgate";
    static final String JRE = ROOT + "/jre";
    static final String SERVER = ROOT + "/server";
    static final String MAIN = "io.modelgate.server.Main";
    static final String LABEL = Packer.LABEL_PREFIX;

    private final Path cache;
    private final Consumer<String> progress;
    private final Scanner scanner;

    /** Lists a directory's files as layer entries, with the packer's stat cache (so unchanged files are not read). */
    @FunctionalInterface
    interface Scanner {
        List<ModelFile> scan(Path dir) throws IOException;
    }

    BuiltinServer(Path cache, Consumer<String> progress, Scanner scanner) {
        this.cache = cache;
        this.progress = progress;
        this.scanner = scanner;
    }

    /** What the server adds to the image: its layers (bottom first), how to start it, and labels. */
    record Parts(List<Packer.LayerPlan> layers, List<String> entrypoint, String workingDir, Map<String, String> env,
                 Map<String, String> labels, String user) {
    }

    Parts prepare(ModelSpec spec, List<ModelFile> files, Path modelDir, Instant created) throws IOException, InterruptedException {
        String model = modelFile(spec, files);
        ServerDist dist = ServerDist.locate();
        ImageJdk jdk = ImageJdk.locate();
        String platform = ServerDist.platform();

        Path stage = stageServer(dist, platform, created);
        Path jre = runtime(jdk, stage, created);
        List<String> classpath = classpath(stage);
        Path jsa = stage.resolve("app.jsa");
        if (jdk.reproducibleCds()) {
            if (!Files.isRegularFile(jsa)) {
                dumpCds(jdk, jre, stage, classpath);
            }
        } else {
            progress.accept("  note        Java " + jdk.version() + " makes class-data-sharing archives that differ from run to run; "
                    + "the image skips them (start-up is slower). A JDK 21+ (MODELGATE_IMAGE_JDK) gives both.");
        }
        SystemLibraries libs = SystemLibraries.neededBy(jre, stage.resolve("native").resolve(platform), cache.resolve("generated"));

        List<Packer.LayerPlan> layers = new ArrayList<>();
        layers.add(new Packer.LayerPlan("base: system libraries", "", libs.entries()));
        layers.add(new Packer.LayerPlan("runtime: java " + jdk.version(), JRE, scanner.scan(jre)));
        List<ModelFile> server = scanner.scan(stage);
        layers.add(new Packer.LayerPlan("built-in server libraries", SERVER,
                server.stream().filter(f -> f.path().startsWith("lib") || f.path().startsWith("native")).toList()));
        layers.add(new Packer.LayerPlan("built-in server", SERVER,
                server.stream().filter(f -> !f.path().startsWith("lib") && !f.path().startsWith("native")
                        && (f.kind() != ModelFile.Kind.DIRECTORY)).toList()));

        List<String> entrypoint = new ArrayList<>(List.of("/" + JRE + "/bin/java"));
        if (Files.isRegularFile(jsa)) {
            entrypoint.addAll(List.of("-XX:SharedArchiveFile=app.jsa", "-Xshare:auto"));
        }
        entrypoint.addAll(nativeAccess(jdk));
        entrypoint.addAll(List.of("-XX:+ExitOnOutOfMemoryError", "-cp", String.join(":", classpath), MAIN));

        Map<String, String> env = new LinkedHashMap<>();
        env.put("PATH", "/" + JRE + "/bin:/usr/bin:/bin");
        env.put("MODEL_PATH", spec.workdir() + "/" + model);
        // ONNX Runtime 1.29+ sends telemetry from Linux unless told not to; a served model must not phone out (and
        // without a writable home the telemetry store even crashes environment creation).
        env.put("ORT_DISABLE_TELEMETRY", "1");
        if (spec.server().batching() != null) {
            env.put("MAX_BATCH_SIZE", String.valueOf(spec.server().batching().maxBatchSize()));
            env.put("MAX_BATCH_DELAY_MS", String.valueOf(spec.server().batching().maxBatchDelayMs()));
        }
        Map<String, String> labels = new TreeMap<>();
        labels.put(LABEL + "base.packages", libs.packages());
        labels.put(LABEL + "base.source", libs.source());
        labels.put(LABEL + "runtime.java", jdk.version());
        labels.put(LABEL + "server.model", model);
        labels.put(LABEL + "server.builtin", Digest.sha256(Files.readAllBytes(stage.resolve(ServerDist.JAR))).toString());
        return new Parts(layers, entrypoint, "/" + SERVER, env, labels, "65534:65534");
    }

    /** model.yaml's {@code model}, or the only .onnx file of the directory. */
    static String modelFile(ModelSpec spec, List<ModelFile> files) {
        if (spec.model() != null) {
            if (files.stream().noneMatch(f -> f.kind() == ModelFile.Kind.FILE && f.path().equals(spec.model()))) {
                throw new IllegalArgumentException("model.yaml names model '" + spec.model() + "', which is not in the model directory"
                        + " (or .modelignore leaves it out)");
            }
            return spec.model();
        }
        List<String> onnx = files.stream().filter(f -> f.kind() == ModelFile.Kind.FILE && f.path().endsWith(".onnx"))
                .map(ModelFile::path).toList();
        if (onnx.size() != 1) {
            throw new IllegalArgumentException("server type onnx needs the model file: the directory has " + onnx.size()
                    + " .onnx files" + (onnx.isEmpty() ? "" : " " + onnx) + "; name one with 'model:' in model.yaml");
        }
        return onnx.get(0);
    }

    // ---------------------------------------------------------------- the server's files

    /**
     * model-server.jar, lib/ with ONNX Runtime's jar stripped of every platform's native code, and native/ with this
     * platform's: laid out as in the image, every timestamp the image's (the class-data-sharing archive checks jar
     * times), in a cache directory keyed by all of that.
     */
    private Path stageServer(ServerDist dist, String platform, Instant created) throws IOException {
        StringBuilder key = new StringBuilder("server-v1\n").append(platform).append('\n').append(created.getEpochSecond()).append('\n');
        List<Path> inputs = new ArrayList<>();
        inputs.add(dist.jar());
        try (Stream<Path> s = Files.list(dist.libs())) {
            inputs.addAll(s.filter(p -> p.toString().endsWith(".jar")).sorted().toList());
        }
        Path natives = dist.natives(platform);
        if (!Files.isDirectory(natives)) {
            throw new IllegalStateException("the built-in server was built without ONNX Runtime's natives for " + platform + " (" + natives + ")");
        }
        try (Stream<Path> s = Files.list(natives)) {
            inputs.addAll(s.sorted().toList());
        }
        for (Path p : inputs) {
            key.append(p.getFileName()).append(' ').append(FileHashes.stat(p).identity()).append('\n');
        }
        Path dir = cache.resolve("server").resolve(Digest.sha256(key.toString().getBytes(StandardCharsets.UTF_8)).hex());
        if (Files.isDirectory(dir)) {
            return dir;
        }
        progress.accept("  server      staging the built-in server (once)");
        Path temp = Files.createDirectories(cache.resolve("server").resolve(".tmp-" + UUID.randomUUID()));
        try {
            Files.copy(dist.jar(), temp.resolve(ServerDist.JAR));
            Files.createDirectories(temp.resolve("lib"));
            for (Path jar : inputs.subList(1, inputs.size())) {
                if (jar.getParent().equals(dist.libs())) {
                    Path target = temp.resolve("lib").resolve(jar.getFileName());
                    if (jar.getFileName().toString().startsWith("onnxruntime")) {
                        withoutNatives(jar, target);
                    } else {
                        Files.copy(jar, target);
                    }
                }
            }
            Path nativeDir = Files.createDirectories(temp.resolve("native").resolve(platform));
            try (Stream<Path> s = Files.list(natives)) {
                for (Path so : s.sorted().toList()) {
                    Files.copy(so, nativeDir.resolve(so.getFileName()));
                }
            }
            touchAll(temp, FileTime.from(created));
            Files.createDirectories(dir.getParent());
            Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Trees.delete(temp);
            if (Files.isDirectory(dir)) {
                return dir; // another pack staged it meanwhile
            }
            throw e;
        }
        return dir;
    }

    /** A copy of ONNX Runtime's jar without its native libraries (tens of MB for every platform), written reproducibly. */
    private static void withoutNatives(Path jar, Path target) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(jar));
             ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(target))) {
            ZipEntry e;
            while ((e = in.getNextEntry()) != null) {
                if (e.getName().startsWith("ai/onnxruntime/native/")) {
                    continue;
                }
                ZipEntry copy = new ZipEntry(e.getName());
                copy.setTimeLocal(LocalDateTime.of(1980, 1, 1, 0, 0)); // DOS time, independent of the time zone
                out.putNextEntry(copy);
                in.transferTo(out);
                out.closeEntry();
            }
        }
    }

    private static List<String> classpath(Path stage) throws IOException {
        List<String> cp = new ArrayList<>(List.of(ServerDist.JAR));
        try (Stream<Path> s = Files.list(stage.resolve("lib"))) {
            s.map(p -> "lib/" + p.getFileName()).sorted().forEach(cp::add);
        }
        return cp;
    }

    // ---------------------------------------------------------------- the Java runtime

    /** jlink's runtime with the modules the server's jars use (jdeps says which), cached by JDK, modules and options. */
    private Path runtime(ImageJdk jdk, Path stage, Instant created) throws IOException, InterruptedException {
        List<String> cp = classpath(stage);
        String modules = run(stage, List.of(jdk.tool("jdeps").toString(), "--print-module-deps", "--ignore-missing-deps",
                "--multi-release", String.valueOf(jdk.feature()), "-cp", String.join(":", cp.subList(1, cp.size())), ServerDist.JAR), "jdeps").strip();
        // jdk.crypto.ec and jdk.zipfs are not referenced by name but may be wanted by libraries at run time;
        // jdk.httpserver is the server's HTTP layer.
        TreeSet<String> all = new TreeSet<>(List.of(modules.split(",")));
        all.add("jdk.httpserver");
        all.add("jdk.unsupported");
        all.removeIf(String::isBlank);
        // The server is headless: AWT's X11, sound and splash-screen libraries would pull X11 and ALSA into the base.
        List<String> options = new ArrayList<>(List.of("--strip-debug", "--no-header-files", "--no-man-pages",
                "--exclude-files=**/libawt_xawt.so,**/libsplashscreen.so,**/libjawt.so,**/libjsound.so"));
        String key = "jre-v2\n" + Files.readString(jdk.home().resolve("release")) + "\n" + all + "\n" + options + "\n"
                + created.getEpochSecond() + "\n" + jdk.reproducibleCds();
        Path dir = cache.resolve("runtimes").resolve(Digest.sha256(key.getBytes(StandardCharsets.UTF_8)).hex());
        Path jre = dir.resolve("jre");
        if (Files.isDirectory(jre)) {
            return jre;
        }
        progress.accept("  runtime     jlink " + jdk.version() + " with " + String.join(",", all) + " (once)");
        Path temp = Files.createDirectories(cache.resolve("runtimes").resolve(".tmp-" + UUID.randomUUID()));
        try {
            List<String> cmd = new ArrayList<>(List.of(jdk.tool("jlink").toString(), "--add-modules", String.join(",", all)));
            cmd.addAll(options);
            cmd.addAll(List.of("--output", temp.resolve("jre").toString()));
            run(temp, cmd, "jlink");
            if (!Files.isExecutable(temp.resolve("jre/bin/java"))) {
                throw new IOException("jlink made no bin/java (was java.base left out?)");
            }
            // Every file gets the image's time before the JDK's own class-data-sharing archive is dumped: the archive
            // records the times of what it was made from, and the image's files carry this one.
            touchAll(temp.resolve("jre"), FileTime.from(created));
            if (jdk.reproducibleCds()) {
                run(temp, List.of(temp.resolve("jre/bin/java").toString(), "-Xshare:dump"), "class-data-sharing dump of the runtime");
                touchAll(temp.resolve("jre"), FileTime.from(created));
            }
            Files.createDirectories(dir.getParent());
            Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            Trees.delete(temp);
            if (Files.isDirectory(jre)) {
                return jre;
            }
            throw e;
        }
        return jre;
    }

    // ---------------------------------------------------------------- class-data sharing

    /**
     * A static class-data-sharing archive of the JDK's default class list, every class of the server's jars and
     * the JDK's HTTP server. The list comes from the files alone, not from a run (which loads classes in an order and
     * a number that vary with timing), so the archive is the same bytes for the same input. The classpath is
     * relative and the jars carry the image's times, so the archive matches the image wherever it runs.
     */
    private void dumpCds(ImageJdk jdk, Path jre, Path stage, List<String> classpath) throws IOException, InterruptedException {
        progress.accept("  server      class-data-sharing archive for the server's classes (once)");
        TreeSet<String> classes = new TreeSet<>();
        for (String line : Files.readAllLines(jre.resolve("lib/classlist"))) {
            if (!line.isBlank() && !line.startsWith("@") && !line.startsWith("#")) {
                classes.add(line.split(" ")[0]);
            }
        }
        for (String jar : classpath) {
            try (ZipInputStream in = new ZipInputStream(Files.newInputStream(stage.resolve(jar)))) {
                ZipEntry e;
                while ((e = in.getNextEntry()) != null) {
                    String n = e.getName();
                    if (n.endsWith(".class") && !n.startsWith("META-INF/") && !n.endsWith("module-info.class")) {
                        classes.add(n.substring(0, n.length() - 6));
                    }
                }
            }
        }
        String modules = run(stage, List.of(jdk.tool("jimage").toString(), "list", "--include", "regex:/jdk.httpserver/.*",
                jre.resolve("lib/modules").toString()), "jimage");
        for (String line : modules.split("\n")) {
            String t = line.strip();
            if (t.endsWith(".class") && !t.endsWith("module-info.class")) {
                classes.add(t.substring(0, t.length() - 6));
            }
        }
        Path list = stage.resolve(".classes-" + UUID.randomUUID() + ".lst");
        Path jsa = stage.resolve(".app-" + UUID.randomUUID() + ".jsa");
        try {
            Files.write(list, classes);
            List<String> dump = new ArrayList<>(List.of(jre.resolve("bin/java").toString(), "-Xshare:dump",
                    "-XX:SharedClassListFile=" + list.getFileName(), "-XX:SharedArchiveFile=" + jsa.getFileName()));
            // the archive's module graph is only used by a JVM started with the same module options as the dump
            dump.addAll(nativeAccess(jdk));
            dump.addAll(List.of("-cp", String.join(":", classpath)));
            run(stage, dump, "class-data-sharing dump");
            Files.setLastModifiedTime(jsa, Files.getLastModifiedTime(stage.resolve(ServerDist.JAR)));
            Files.move(jsa, stage.resolve("app.jsa"), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(list);
            Files.deleteIfExists(jsa);
        }
    }

    // ---------------------------------------------------------------- helpers

    static String run(Path dir, List<String> command, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(what + " did not finish in 300 s");
        }
        if (p.exitValue() != 0) {
            throw new IOException(what + " failed (exit " + p.exitValue() + "): " + out.strip());
        }
        return out;
    }

    private static void touchAll(Path root, FileTime time) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.setLastModifiedTime(file, time);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** ONNX Runtime loads its JNI library: JDK 22+ warn (and will refuse) unless native access is granted. */
    private static List<String> nativeAccess(ImageJdk jdk) {
        return jdk.feature() >= 22 ? List.of("--enable-native-access=ALL-UNNAMED") : List.of();
    }
}
