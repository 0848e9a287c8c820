package io.modelgate.packager.archive;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * How {@link Archives#importRootfs} builds the image config: {@code --change} instructions in Dockerfile syntax,
 * an optional history comment, and the creation time (fixed, so the same tar always gives the same image).
 */
public record ImportOptions(List<String> changes, String message, Instant created) {

    public ImportOptions {
        changes = changes == null ? List.of() : List.copyOf(changes);
        Objects.requireNonNull(created, "created");
    }

    /** No changes, no message, created at {@code SOURCE_DATE_EPOCH} when set, else 1970-01-01T00:00:00Z. */
    public static ImportOptions reproducible() {
        return new ImportOptions(List.of(), null, sourceDateEpoch(System.getenv()));
    }

    public ImportOptions withChanges(List<String> value) {
        return new ImportOptions(value, message, created);
    }

    public ImportOptions withMessage(String value) {
        return new ImportOptions(changes, value, created);
    }

    public ImportOptions withCreated(Instant value) {
        return new ImportOptions(changes, message, value);
    }

    /** The reproducible-builds timestamp (reproducible-builds.org/specs/source-date-epoch), or the epoch. */
    static Instant sourceDateEpoch(Map<String, String> env) {
        String value = env.get("SOURCE_DATE_EPOCH");
        if (value == null || value.isBlank()) {
            return Instant.EPOCH;
        }
        try {
            return Instant.ofEpochSecond(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01 (got '" + value + "')");
        }
    }
}
