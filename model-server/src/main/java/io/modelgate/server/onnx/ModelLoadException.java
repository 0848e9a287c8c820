package io.modelgate.server.onnx;

/** The model file cannot be served: unreadable, not ONNX, or with inputs the server cannot feed. */
public class ModelLoadException extends Exception {
  private static final long serialVersionUID = 1L;

  public ModelLoadException(String message) {
    super(message);
  }

  public ModelLoadException(String message, Throwable cause) {
    super(message, cause);
  }
}
