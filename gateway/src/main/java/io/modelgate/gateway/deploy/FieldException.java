package io.modelgate.gateway.deploy;

/** A request field that is missing, of the wrong type or out of range; the message says what is expected. */
final class FieldException extends RuntimeException {
    private final String field;

    FieldException(String field, String message) {
        super(message);
        this.field = field;
    }

    String field() {
        return field;
    }
}
