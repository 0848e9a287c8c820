package io.modelgate.packager.pack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The smallest Linux base the built-in server runs on: the shared libraries that the Java runtime and ONNX
 * Runtime link against (as {@code ldd} finds them on this machine, with every symlink on the way so that the
 * loader's paths work in the image), the dynamic loader, {@code /etc/passwd} and {@code /etc/group} with root and
 * nobody, and {@code /tmp}. Which Debian packages the files came from is recorded for the image's labels.
 */
record SystemLibraries(List<ModelFile> entries, String packages, String source) {
    private static final Pattern LDD_LINE = Pattern.compile("^\\s*(?:(\\S+) => )?(/\\S+|not found)(?: \\(0x[0-9a-f]+\\))?\\s*$");

    static SystemLibraries neededBy(Path jre, Path natives, Path generated) throws IOException, InterruptedException {
        List<Path> binaries = new ArrayList<>();
        binaries.add(jre.resolve("bin/java"));
        try (Stream<Path> s = Files.walk(jre.resolve("lib"))) {
            s.filter(p -> p.getFileName().toString().endsWith(".so")).sorted().forEach(binaries::add);
        }
        try (Stream<Path> s = Files.list(natives)) {
            s.filter(p -> p.getFileName().toString().contains(".so")).sorted().forEach(binaries::add);
        }
        List<String> cmd = new ArrayList<>(List.of("ldd"));
        binaries.forEach(b -> cmd.add(b.toString()));
        // Libraries of the runtime itself (libjvm.so, found by the launcher, not the loader) are not missing.
        Set<String> own = new TreeSet<>();
        binaries.forEach(b -> own.add(unversioned(b.getFileName().toString())));
        Set<String> libraries = parseLdd(BuiltinServer.run(jre, cmd, "ldd"), own);

        Map<String, ModelFile> entries = new TreeMap<>();
        // ldd names the runtime's own libraries by their place in the runtime: those are in their own layer.
        libraries.removeIf(lib -> Path.of(lib).startsWith(jre) || Path.of(lib).startsWith(natives));
        for (String lib : libraries) {
            addWithLinks(Path.of(lib), entries, 0);
        }
        Files.createDirectories(generated);
        Path passwd = generated.resolve("passwd");
        Path group = generated.resolve("group");
        writeIfChanged(passwd, "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n");
        writeIfChanged(group, "root:x:0:\nnogroup:x:65534:\n");
        entries.put("etc/passwd", file("etc/passwd", passwd));
        entries.put("etc/group", file("etc/group", group));
        entries.put("tmp", new ModelFile("tmp", ModelFile.Kind.DIRECTORY, 01777, 0, null, null, null, null));
        return new SystemLibraries(List.copyOf(entries.values()), packagesOf(libraries), osRelease());
    }

    /** The libraries ldd names, by the path the loader will use; a missing one is an error naming it. */
    static Set<String> parseLdd(String output, Set<String> provided) {
        Set<String> out = new TreeSet<>();
        String current = "?";
        for (String line : output.split("\n")) {
            if (!line.startsWith("\t") && line.endsWith(":")) {
                current = line.substring(0, line.length() - 1);
                continue;
            }
            if (line.contains("linux-vdso") || line.contains("statically linked") || line.contains("not a dynamic executable")) {
                continue;
            }
            Matcher m = LDD_LINE.matcher(line);
            if (m.matches()) {
                if (m.group(2).equals("not found")) {
                    if (provided.contains(unversioned(m.group(1)))) {
                        continue;
                    }
                    throw new IllegalStateException("library " + m.group(1) + ", needed by " + current + ", is not on this machine");
                }
                out.add(m.group(2));
            }
        }
        return out;
    }

    /** libonnxruntime.so.1 and libonnxruntime.so name the same library (the loader matches the soname). */
    static String unversioned(String name) {
        return name.replaceAll("\\.so(\\.\\d+)*$", ".so");
    }

    /** Adds a host path to the layer at the same place, following each symlink on its way (dirs included). */
    private static void addWithLinks(Path path, Map<String, ModelFile> entries, int depth) throws IOException {
        if (depth > 40) {
            throw new IOException("too many levels of symbolic links at " + path);
        }
        Path current = Path.of("/");
        for (int i = 0; i < path.getNameCount(); i++) {
            Path next = current.resolve(path.getName(i));
            if (Files.isSymbolicLink(next)) {
                Path target = Files.readSymbolicLink(next);
                String rel = Path.of("/").relativize(next).toString();
                entries.putIfAbsent(rel, new ModelFile(rel, ModelFile.Kind.SYMLINK, 0777, 0, null, target.toString(), next, null));
                Path resolved = (target.isAbsolute() ? target : next.getParent().resolve(target)).normalize();
                Path rest = i + 1 < path.getNameCount() ? path.subpath(i + 1, path.getNameCount()) : null;
                addWithLinks(rest == null ? resolved : resolved.resolve(rest), entries, depth + 1);
                return;
            }
            current = next;
        }
        if (!Files.isRegularFile(current, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException(current + " (a library the server needs) is not a regular file");
        }
        String rel = Path.of("/").relativize(current).toString();
        entries.putIfAbsent(rel, file(rel, current));
    }

    private static ModelFile file(String rel, Path source) throws IOException {
        FileHashes.Stat stat = FileHashes.stat(source);
        boolean exec = Files.isExecutable(source);
        return new ModelFile(rel, ModelFile.Kind.FILE, exec ? 0755 : 0644, stat.size(), null, null, source, stat);
    }

    private static void writeIfChanged(Path file, String content) throws IOException {
        if (!Files.isRegularFile(file) || !Files.readString(file).equals(content)) {
            Files.writeString(file, content, StandardCharsets.UTF_8);
        }
    }

    /** "libc6=2.36-9+deb12u4,libstdc++6=12.2.0-14,…" from dpkg, or why it is unknown. */
    private static String packagesOf(Set<String> libraries) {
        try {
            Set<String> names = new TreeSet<>();
            for (String lib : libraries) {
                String owner = owner(lib);
                if (owner == null) {
                    owner = owner(Path.of(lib).toRealPath().toString());
                }
                if (owner != null) {
                    names.add(owner);
                }
            }
            if (names.isEmpty()) {
                return "unknown (no dpkg on the packing machine)";
            }
            List<String> cmd = new ArrayList<>(List.of("dpkg-query", "-W", "-f=${Package}=${Version}\\n"));
            cmd.addAll(names);
            String out = BuiltinServer.run(Path.of("/"), cmd, "dpkg-query");
            return String.join(",", new LinkedHashSet<>(out.strip().lines().sorted().toList()));
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return "unknown (dpkg: " + e.getMessage() + ")";
        }
    }

    private static String owner(String path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("dpkg", "-S", path).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0 || !out.contains(": ")) {
            return null;
        }
        String pkg = out.lines().findFirst().orElse("").split(": ")[0];
        return pkg.contains(",") ? pkg.split(",")[0].trim() : pkg.trim();
    }

    private static String osRelease() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return line.substring(12).replace("\"", "");
                }
            }
        } catch (IOException e) {
            // not every system has it
        }
        return "unknown";
    }
}
