package io.modelgate.packager.pack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The JDK whose jlink makes the Java runtime inside images of the built-in server. From Java 21 on, jlink's
 * class-data-sharing archives come out the same for the same input, so such a JDK is preferred: the image stays
 * reproducible and still starts fast. {@code MODELGATE_IMAGE_JDK} (or the system property
 * {@code modelgate.image.jdk}) names one explicitly.
 */
record ImageJdk(Path home, String version, int feature) {
    static final int REPRODUCIBLE_CDS = 21;

    /** Whether its class-data-sharing archives are byte-for-byte reproducible. */
    boolean reproducibleCds() {
        return feature >= REPRODUCIBLE_CDS;
    }

    Path tool(String name) {
        return home.resolve("bin").resolve(name);
    }

    static ImageJdk locate() throws IOException {
        String named = System.getProperty("modelgate.image.jdk", System.getenv("MODELGATE_IMAGE_JDK"));
        if (named != null && !named.isBlank()) {
            return of(Path.of(named)).orElseThrow(() -> new IllegalStateException("MODELGATE_IMAGE_JDK=" + named
                    + " is not a JDK with jlink (it needs bin/jlink and a release file)"));
        }
        List<ImageJdk> found = new ArrayList<>();
        of(Path.of(System.getProperty("java.home"))).ifPresent(found::add);
        Path jvms = Path.of("/usr/lib/jvm");
        if (Files.isDirectory(jvms)) {
            try (Stream<Path> s = Files.list(jvms)) {
                for (Path p : s.sorted().toList()) {
                    of(p).ifPresent(found::add);
                }
            }
        }
        return found.stream().filter(j -> j.feature() >= 17).max(Comparator.comparingInt(ImageJdk::feature))
                .orElseThrow(() -> new IllegalStateException("the built-in server needs a JDK 17 or newer with jlink to make the image's "
                        + "Java runtime (install openjdk-17-jdk-headless, or set MODELGATE_IMAGE_JDK)"));
    }

    static Optional<ImageJdk> of(Path home) {
        try {
            Path real = home.toRealPath();
            Path release = real.resolve("release");
            if (!Files.isExecutable(real.resolve("bin/jlink")) || !Files.isRegularFile(release)) {
                return Optional.empty();
            }
            Properties p = new Properties();
            try (var in = Files.newBufferedReader(release)) {
                p.load(in);
            }
            String version = p.getProperty("JAVA_VERSION", "").replace("\"", "");
            if (version.isEmpty()) {
                return Optional.empty();
            }
            int feature = Integer.parseInt(version.split("[.+-]")[0]);
            return Optional.of(new ImageJdk(real, version, feature));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
