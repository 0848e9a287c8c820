package io.modelgate.runtime.gpu;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The host's ld cache as {@code ldconfig -p} prints it: running the command apart from parsing what it said. */
final class LdCache {
    /** {@code <TAB>libcuda.so.1 (libc6,x86-64) => /usr/lib/x86_64-linux-gnu/libcuda.so.1} */
    private static final Pattern LINE = Pattern.compile("^\\s*(\\S+)\\s+\\(([^)]*)\\)\\s+=>\\s+(\\S.*?)\\s*$");

    /** One library the cache knows: its name (usually the soname), the tags in brackets, and where it is. */
    record Entry(String name, List<String> tags, Path path) {
        boolean isFor(String arch) {
            return tags.contains(arch);
        }
    }

    private LdCache() {
    }

    /** The entries of an {@code ldconfig -p} listing that are for {@code arch} ("x86-64"), in listing order. */
    static List<Entry> parse(String listing, String arch) {
        List<Entry> entries = new ArrayList<>();
        for (String line : listing.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                List<String> tags = Arrays.stream(m.group(2).split(",")).map(String::trim).toList();
                Entry e = new Entry(m.group(1), tags, Path.of(m.group(3)));
                if (e.isFor(arch)) {
                    entries.add(e);
                }
            }
        }
        return entries;
    }

    /** Whether {@code name} is {@code base} ("libcuda.so") or a versioned form of it ("libcuda.so.1"). */
    static boolean isNamed(String name, String base) {
        return name.equals(base) || name.startsWith(base + ".");
    }

    /** The tag ldconfig gives the JVM's architecture's libraries. */
    static String hostArch() {
        return switch (System.getProperty("os.arch")) {
            case "amd64", "x86_64" -> "x86-64";
            case "aarch64", "arm64" -> "AArch64";
            case "ppc64le", "ppc64", "s390x" -> "64bit";
            default -> System.getProperty("os.arch");
        };
    }

    /** Runs {@code ldconfig -p} (from /sbin, /usr/sbin or $PATH). */
    static String hostListing() {
        String ldconfig = List.of("/sbin/ldconfig", "/usr/sbin/ldconfig").stream()
                .filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse("ldconfig");
        try {
            Process p = new ProcessBuilder(ldconfig, "-p").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out;
            try (InputStream in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new GpuException(ldconfig + " -p did not finish in 30 s");
            }
            if (p.exitValue() != 0) {
                throw new GpuException(ldconfig + " -p exited with " + p.exitValue() + ": " + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new GpuException("cannot run " + ldconfig + " -p to find the driver libraries: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GpuException("interrupted while running " + ldconfig + " -p", e);
        }
    }
}
