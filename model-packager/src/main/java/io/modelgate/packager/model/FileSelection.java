package io.modelgate.packager.model;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Which files of a model directory go into the image: {@code include} patterns of model.yaml (all when none),
 * minus {@code .modelignore} and model.yaml's {@code exclude}, with {@code !} re-includes, as Docker applies
 * {@code .dockerignore} (the last matching pattern decides).
 */
public final class FileSelection {
    public static final String IGNORE_FILE = ".modelignore";

    private final List<PathPattern> includes;
    private final List<PathPattern> excludes;

    private FileSelection(List<PathPattern> includes, List<PathPattern> excludes) {
        this.includes = includes;
        this.excludes = excludes;
    }

    /** The selection for a model directory: its .modelignore (if any) and the spec's include/exclude. */
    public static FileSelection of(Path dir, ModelSpec spec) throws IOException {
        List<String> ignore = new ArrayList<>();
        Path file = dir.resolve(IGNORE_FILE);
        if (Files.isRegularFile(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                String t = line.trim();
                if (!t.isEmpty() && !t.startsWith("#")) {
                    ignore.add(t);
                }
            }
        }
        ignore.addAll(spec.exclude());
        return of(spec.include(), ignore);
    }

    public static FileSelection of(List<String> include, List<String> ignore) {
        return new FileSelection(include.stream().map(PathPattern::parse).toList(),
                ignore.stream().map(PathPattern::parse).toList());
    }

    /** Whether a path relative to the model directory ({@code a/b.txt}) is part of the image. */
    public boolean includes(String relativePath) {
        if (!includes.isEmpty() && includes.stream().noneMatch(p -> p.matches(relativePath))) {
            return false;
        }
        boolean excluded = false;
        for (PathPattern p : excludes) {
            if (p.matches(relativePath)) {
                excluded = !p.negated();
            }
        }
        return !excluded;
    }

    /**
     * Whether a directory must be walked: true unless it is excluded and no {@code !} pattern could
     * re-include something below it (Docker's rule, which keeps walks of ignored trees such as .git cheap).
     */
    public boolean mayContainIncluded(String relativeDir) {
        boolean excluded = false;
        for (PathPattern p : excludes) {
            if (p.matches(relativeDir)) {
                excluded = !p.negated();
            }
        }
        return !excluded || excludes.stream().anyMatch(PathPattern::negated);
    }

    /** A test of relative paths against a list of patterns (no negation), e.g. the spec's weights patterns. */
    public static java.util.function.Predicate<String> anyOf(List<String> patterns) {
        List<PathPattern> compiled = patterns.stream().map(PathPattern::parse).toList();
        return path -> compiled.stream().anyMatch(p -> p.matches(path));
    }
}
