package io.modelgate.packager.store;

/** No image in the store answers to the reference the user gave. */
public class ImageNotFoundException extends RuntimeException {
    public ImageNotFoundException(String message) {
        super(message);
    }
}
