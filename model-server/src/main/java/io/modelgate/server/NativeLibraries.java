package io.modelgate.server;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Points ONNX Runtime at native libraries unpacked beside the jar ({@code native/linux-x64/}), when the
 * build put them there: without that ORT extracts 28 MB from its jar into /tmp at every start, a good part
 * of the time to ready. An explicit {@code -Donnxruntime.native.path} wins.
 */
final class NativeLibraries {
  static final String PROPERTY = "onnxruntime.native.path";

  private NativeLibraries() {
  }

  /** @return the directory ORT will load from, when one was found */
  static Optional<Path> useUnpacked() {
    if (System.getProperty(PROPERTY) != null) {
      return Optional.of(Path.of(System.getProperty(PROPERTY)));
    }
    Optional<Path> dir = codeDirectory().flatMap(d -> unpackedIn(d, System.getProperty("os.name"), System.getProperty("os.arch")));
    dir.ifPresent(d -> System.setProperty(PROPERTY, d.toString()));
    return dir;
  }

  static Optional<Path> unpackedIn(Path base, String osName, String osArch) {
    if (!osName.toLowerCase(Locale.ROOT).startsWith("linux")) {
      return Optional.empty();
    }
    String arch = switch (osArch) {
      case "amd64", "x86_64" -> "x64";
      case "aarch64", "arm64" -> "aarch64";
      default -> null;
    };
    if (arch == null) {
      return Optional.empty();
    }
    Path dir = base.resolve("native").resolve("linux-" + arch);
    boolean complete = Files.isRegularFile(dir.resolve("libonnxruntime.so"))
        && Files.isRegularFile(dir.resolve("libonnxruntime4j_jni.so"));
    return complete ? Optional.of(dir) : Optional.empty();
  }

  /** The directory holding model-server.jar (or target/ when run from classes). */
  private static Optional<Path> codeDirectory() {
    try {
      var source = NativeLibraries.class.getProtectionDomain().getCodeSource();
      return source == null ? Optional.empty() : Optional.ofNullable(Path.of(source.getLocation().toURI()).getParent());
    } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }
}
