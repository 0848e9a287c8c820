package io.modelgate.packager.image;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest as the OCI image spec writes it: {@code sha256:<64 lowercase hex>}.
 * Only sha256 is accepted, which is what every registry and runtime requires.
 */
public record Digest(String algorithm, String hex) implements Comparable<Digest> {

    private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");

    public Digest {
        if (!"sha256".equals(algorithm)) {
            throw new IllegalArgumentException("unsupported digest algorithm '" + algorithm + "' (only sha256 is supported)");
        }
        if (hex == null || !SHA256_HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("invalid sha256 digest '" + algorithm + ":" + hex + "' (expected 64 lowercase hex characters)");
        }
    }

    /** Parses {@code sha256:<hex>}. */
    @JsonCreator
    public static Digest parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("digest is missing");
        }
        int colon = text.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("invalid digest '" + text + "' (expected sha256:<64 lowercase hex characters>)");
        }
        String algorithm = text.substring(0, colon);
        String hex = text.substring(colon + 1);
        // The constructor's messages name only the part that is wrong; a user needs to see what they typed.
        if (!"sha256".equals(algorithm)) {
            throw new IllegalArgumentException("unsupported digest algorithm '" + algorithm + "' in '" + text + "' (only sha256 is supported)");
        }
        if (!SHA256_HEX.matcher(hex).matches()) {
            throw new IllegalArgumentException("invalid digest '" + text + "' (expected sha256:<64 lowercase hex characters>)");
        }
        return new Digest(algorithm, hex);
    }

    /** The digest of a byte array. */
    public static Digest sha256(byte[] bytes) {
        return fromHash(newSha256().digest(bytes));
    }

    /** Wraps the output of a {@link MessageDigest} created by {@link #newSha256()}. */
    public static Digest fromHash(byte[] hash) {
        return new Digest("sha256", HexFormat.of().formatHex(hash));
    }

    /** Wraps a bare sha256 hex string, as blob file names are. */
    public static Digest ofHex(String hex) {
        return new Digest("sha256", hex);
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The 12-character short form Docker prints as IMAGE ID. */
    public String shortHex() {
        return hex.substring(0, 12);
    }

    @JsonValue
    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }

    @Override
    public int compareTo(Digest other) {
        return toString().compareTo(other.toString());
    }
}
