package io.modelgate.server.v2;

/**
 * A request the server refuses (HTTP 400): the message says what was wrong and what was expected, and
 * is sent to the client as {@code {"error": message}}.
 */
public class BadRequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public BadRequestException(String message) {
    super(message);
  }

  public BadRequestException(String message, Throwable cause) {
    super(message, cause);
  }
}
