package io.modelgate.packager.model;

import java.nio.file.Path;

/** A model.yaml that cannot be used; the message names the file, the line and the key. */
public class ModelSpecException extends RuntimeException {
    private final String key;
    private final String detail;

    ModelSpecException(String key, String detail) {
        super(key + ": " + detail);
        this.key = key;
        this.detail = detail;
    }

    ModelSpecException(Path file, int line, String key, String detail, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + (key == null || key.isEmpty() ? "" : "'" + key + "' ") + detail, cause);
        this.key = key;
        this.detail = detail;
    }

    /** The dotted key that was wrong ({@code server.port}), or null when the file as a whole is. */
    public String key() {
        return key;
    }

    String detail() {
        return detail;
    }
}
