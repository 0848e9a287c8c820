package io.modelgate.packager.store;

import io.modelgate.packager.image.Descriptor;
import io.modelgate.packager.image.Digest;
import io.modelgate.packager.image.ImageRef;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A second process on a store, for {@link StoreConcurrencyTest}. Prints "ready", waits for a go file, then:
 * <ul>
 *   <li>{@code tag HOME GO PREFIX COUNT MEDIATYPE DIGEST SIZE}: tags PREFIX-0 … PREFIX-(COUNT-1) with the manifest;</li>
 *   <li>{@code hold HOME GO RELEASE}: opens a write session, stores a blob no tag refers to, prints its digest
 *       and "holding", and keeps the session until the release file appears.</li>
 * </ul>
 */
public final class StoreWorkerMain {
    private StoreWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        ImageStore store = ImageStore.open(Path.of(args[1]));
        Path go = Path.of(args[2]);
        System.out.println("ready");
        System.out.flush();
        awaitFile(go);
        switch (args[0]) {
            case "tag" -> {
                String prefix = args[3];
                int count = Integer.parseInt(args[4]);
                Descriptor manifest = Descriptor.of(args[5], Digest.parse(args[6]), Long.parseLong(args[7]));
                for (int i = 0; i < count; i++) {
                    store.tag(ImageRef.parse(prefix + "-" + i + ":v"), manifest);
                }
                System.out.println("done");
            }
            case "hold" -> {
                try (AutoCloseable session = store.writeSession()) {
                    Digest blob = store.writeBlob(("held by " + ProcessHandle.current().pid()).getBytes(StandardCharsets.UTF_8));
                    System.out.println(blob);
                    System.out.println("holding");
                    System.out.flush();
                    awaitFile(Path.of(args[3]));
                }
                System.out.println("released");
            }
            default -> throw new IllegalArgumentException("unknown mode " + args[0]);
        }
        System.out.flush();
    }

    private static void awaitFile(Path file) throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (!Files.exists(file)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out waiting for " + file);
            }
            Thread.sleep(2);
        }
    }
}
