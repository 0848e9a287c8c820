package io.modelgate.packager.registry;

import io.modelgate.packager.image.Digest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Remembers which repositories of which registry a blob was pushed to or pulled from, one line
 * {@code <digest> <registry> <repository>} each, so a later push to another repository of the same registry can
 * ask for a cross-repository mount instead of uploading. It is only a hint: a stale line costs one request,
 * which the registry answers by opening an ordinary upload. Lines are appended with one write each, which
 * O_APPEND keeps whole when several modelgate processes push at once.
 */
final class BlobLocations {
    private final Path file;
    private Set<String> lines;

    /** @param file where the hints live; null to neither remember nor mount */
    BlobLocations(Path file) {
        this.file = file;
    }

    /** The other repositories of {@code registry} known to hold the blob, most recently recorded first. */
    synchronized List<String> repositoriesWith(Digest digest, String registry, String except) throws IOException {
        List<String> found = new ArrayList<>();
        String prefix = digest + " " + registry + " ";
        for (String line : load()) {
            if (line.startsWith(prefix)) {
                String repository = line.substring(prefix.length());
                if (!repository.equals(except)) {
                    found.add(repository);
                }
            }
        }
        Collections.reverse(found);
        return found;
    }

    synchronized void remember(Digest digest, String registry, String repository) throws IOException {
        if (file == null) {
            return;
        }
        String line = digest + " " + registry + " " + repository;
        if (load().add(line)) {
            Files.createDirectories(file.getParent());
            Files.write(file, (line + "\n").getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
    }

    private Set<String> load() throws IOException {
        if (lines == null) {
            lines = new LinkedHashSet<>();
            if (file != null) {
                try {
                    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                        if (line.split(" ").length == 3) {
                            lines.remove(line); // re-add at the end: the latest record wins the order
                            lines.add(line);
                        }
                    }
                } catch (NoSuchFileException none) {
                    // nothing pushed or pulled yet
                }
            }
        }
        return lines;
    }
}
