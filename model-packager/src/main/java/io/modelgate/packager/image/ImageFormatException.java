package io.modelgate.packager.image;

/** An image, manifest, config or archive that does not follow the OCI or Docker formats. */
public class ImageFormatException extends RuntimeException {
    public ImageFormatException(String message) {
        super(message);
    }

    public ImageFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
