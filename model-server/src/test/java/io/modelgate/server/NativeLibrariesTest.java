package io.modelgate.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibrariesTest {
  @TempDir
  Path base;

  private void unpack(String platform, String... libraries) throws IOException {
    Path dir = Files.createDirectories(base.resolve("native").resolve(platform));
    for (String l : libraries) {
      Files.writeString(dir.resolve(l), "elf");
    }
  }

  @Test
  void finds_the_unpacked_libraries_for_this_os_and_architecture() throws IOException {
    unpack("linux-x64", "libonnxruntime.so", "libonnxruntime4j_jni.so");
    unpack("linux-aarch64", "libonnxruntime.so", "libonnxruntime4j_jni.so");
    assertThat(NativeLibraries.unpackedIn(base, "Linux", "amd64")).contains(base.resolve("native/linux-x64"));
    assertThat(NativeLibraries.unpackedIn(base, "Linux", "aarch64")).contains(base.resolve("native/linux-aarch64"));
  }

  @Test
  void lets_onnx_runtime_extract_its_own_when_a_library_is_missing() throws IOException {
    unpack("linux-x64", "libonnxruntime.so");
    assertThat(NativeLibraries.unpackedIn(base, "Linux", "amd64")).isEmpty();
  }

  @Test
  void lets_onnx_runtime_extract_its_own_when_not_on_linux() throws IOException {
    unpack("linux-x64", "libonnxruntime.so", "libonnxruntime4j_jni.so");
    assertThat(NativeLibraries.unpackedIn(base, "Mac OS X", "aarch64")).isEmpty();
  }
}
