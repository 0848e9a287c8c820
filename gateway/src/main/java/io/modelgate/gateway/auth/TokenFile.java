package io.modelgate.gateway.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Set;
import java.util.function.Consumer;

/** The generated management token under {@code <home>/token}: created once, mode 0600, reused on later starts. */
final class TokenFile {
    static final String NAME = "token";
    private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

    private TokenFile() {
    }

    /**
     * Reads the stored token, or makes one and hands it to {@code announce} (the only time it is shown).
     */
    static String loadOrCreate(Path home, Consumer<String> announce) throws IOException {
        Path file = home.resolve(NAME);
        if (Files.exists(file)) {
            return read(file);
        }
        Files.createDirectories(home);
        byte[] random = new byte[32];
        new SecureRandom().nextBytes(random);
        String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        try {
            // created with 0600 from the start: never readable by others, not even for a moment
            Files.createFile(file, PosixFilePermissions.asFileAttribute(OWNER_ONLY));
        } catch (FileAlreadyExistsException raced) {
            return read(file);
        }
        Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
        announce.accept(token);
        return token;
    }

    private static String read(Path file) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
        if (!OWNER_ONLY.containsAll(perms)) {
            throw new IOException("the management token file " + file + " is readable by others ("
                    + PosixFilePermissions.toString(perms) + "); run 'chmod 600 " + file + "' or remove it to get a new one");
        }
        String token = Files.readString(file, StandardCharsets.UTF_8).trim();
        if (token.isEmpty()) {
            throw new IOException("the management token file " + file + " is empty; remove it to get a new one");
        }
        return token;
    }
}
