package io.modelgate.packager.pack;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the built-in server's build output is: {@code model-server.jar}, its libraries in {@code lib/} and ONNX
 * Runtime's native libraries in {@code native/<platform>/}, as {@code model-server/target} holds them after the
 * build. {@code MODELGATE_SERVER_DIST} (or the system property {@code modelgate.server.dist}) names it;
 * otherwise it is looked for next to the code that is running, in the repository's {@code model-server/target}.
 */
record ServerDist(Path dir) {
    static final String JAR = "model-server.jar";

    Path jar() {
        return dir.resolve(JAR);
    }

    Path libs() {
        return dir.resolve("lib");
    }

    Path natives(String platform) {
        return dir.resolve("native").resolve(platform);
    }

    static ServerDist locate() {
        String named = System.getProperty("modelgate.server.dist", System.getenv("MODELGATE_SERVER_DIST"));
        if (named != null && !named.isBlank()) {
            Path dir = Path.of(named).toAbsolutePath();
            if (!Files.isRegularFile(dir.resolve(JAR))) {
                throw new IllegalStateException("MODELGATE_SERVER_DIST=" + named + " holds no " + JAR);
            }
            return new ServerDist(dir);
        }
        try {
            Path here = Path.of(ServerDist.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            for (Path p = here; p != null; p = p.getParent()) {
                Path candidate = p.resolve("model-server").resolve("target");
                if (Files.isRegularFile(candidate.resolve(JAR))) {
                    return new ServerDist(candidate);
                }
            }
        } catch (URISyntaxException | SecurityException | NullPointerException e) {
            // fall through to the message below
        }
        throw new IllegalStateException("the built-in server is not built: run './mvnw -pl model-server package' in the "
                + "modelgate repository (or set MODELGATE_SERVER_DIST to a directory holding " + JAR + ", lib/ and native/)");
    }

    static String platform() throws IOException {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "linux-x64";
            case "aarch64", "arm64" -> "linux-aarch64";
            default -> throw new IOException("ONNX Runtime has no native library for linux/" + arch);
        };
    }
}
