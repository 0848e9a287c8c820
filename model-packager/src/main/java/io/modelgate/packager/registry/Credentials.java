package io.modelgate.packager.registry;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/** A user name and password (or identity token) for a registry. {@link #toString()} never shows the password. */
public record Credentials(String username, String password) {

    public Credentials {
        if (username == null || username.isBlank()) {
            throw new IllegalArgumentException("registry user name is empty");
        }
        if (username.contains(":")) {
            // Basic auth joins user and password with ':', so a ':' in the name would be read as the password.
            throw new IllegalArgumentException("registry user name '" + username + "' must not contain ':'");
        }
        if (password == null || password.isEmpty()) {
            throw new IllegalArgumentException("the password for registry user '" + username + "' is empty");
        }
    }

    public static Credentials of(String username, String password) {
        return new Credentials(username, password);
    }

    /** Decodes the {@code auth} field of a docker config.json entry: base64 of {@code user:password}. */
    public static Credentials fromAuthField(String base64) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(base64.trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the 'auth' field is not valid base64");
        }
        int colon = decoded.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("the 'auth' field does not hold user:password");
        }
        return new Credentials(decoded.substring(0, colon), decoded.substring(colon + 1));
    }

    /** The {@code auth} field for a docker config.json entry. */
    public String authField() {
        return Base64.getEncoder().encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    String basicAuthorization() {
        return "Basic " + authField();
    }

    @Override
    public String toString() {
        return "Credentials[username=" + username + ", password=***]";
    }
}
