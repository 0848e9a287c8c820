package io.modelgate.server.v2;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Shapes;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.tensor.TensorSpec;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code {id?, parameters?, inputs: [{name, shape, datatype, parameters?, data}], outputs?: [{name}]}}
 * with a streaming parser, checking each input's name, datatype and shape against the model before its
 * data is read, so a wrong request is refused before it costs an allocation of the size it claims.
 */
final class RequestReader {
  private final ModelMetadata model;
  private final int bodyLength;

  RequestReader(ModelMetadata model, int bodyLength) {
    this.model = model;
    this.bodyLength = bodyLength;
  }

  InferRequest read(JsonParser p) throws IOException {
    if (p.nextToken() != JsonToken.START_OBJECT) {
      throw new BadRequestException("the request body must be a JSON object {\"inputs\": [...]}, got "
          + DataReader.describe(p));
    }
    Optional<String> id = Optional.empty();
    Map<String, Tensor> inputs = new LinkedHashMap<>();
    Set<String> outputs = new LinkedHashSet<>();
    boolean sawInputs = false;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      switch (field) {
        case "id" -> {
          if (t != JsonToken.VALUE_STRING) {
            throw new BadRequestException("\"id\" must be a string, got " + DataReader.describe(p));
          }
          id = Optional.of(p.getText());
        }
        case "inputs" -> {
          sawInputs = true;
          expectArray(p, "\"inputs\"", "an array of input objects");
          int index = 0;
          while (p.nextToken() != JsonToken.END_ARRAY) {
            Tensor input = readInput(p, index++);
            if (inputs.putIfAbsent(input.name(), input) != null) {
              throw new BadRequestException("input '" + input.name() + "' appears twice");
            }
          }
        }
        case "outputs" -> {
          expectArray(p, "\"outputs\"", "an array of {\"name\": ...} objects");
          while (p.nextToken() != JsonToken.END_ARRAY) {
            String name = readOutput(p);
            if (model.output(name).isEmpty()) {
              throw new BadRequestException("unknown output '" + name + "'; the model's outputs are "
                  + model.describeOutputs());
            }
            outputs.add(name);
          }
        }
        default -> p.skipChildren(); // "parameters" and anything this server does not act on
      }
    }
    if (p.nextToken() != null) {
      throw new BadRequestException("unexpected content after the request's JSON object");
    }
    if (!sawInputs || inputs.isEmpty()) {
      throw new BadRequestException("the request has no inputs; the model expects " + model.describeInputs());
    }
    for (TensorSpec spec : model.inputs()) {
      if (!inputs.containsKey(spec.name())) {
        throw new BadRequestException("missing input '" + spec.name() + "' (" + spec.describe() + ")");
      }
    }
    return new InferRequest(id, inputs, outputs);
  }

  private Tensor readInput(JsonParser p, int index) throws IOException {
    String where = "inputs[" + index + "]";
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new BadRequestException(where + " must be an object {name, shape, datatype, data}, got "
          + DataReader.describe(p));
    }
    String name = null;
    String datatypeName = null;
    long[] shape = null;
    Object data = null;
    TokenBuffer deferred = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      String label = name != null ? "input '" + name + "'" : where;
      switch (field) {
        case "name" -> {
          if (t != JsonToken.VALUE_STRING) {
            throw new BadRequestException(where + ": \"name\" must be a string, got " + DataReader.describe(p));
          }
          name = p.getText();
        }
        case "datatype" -> {
          if (t != JsonToken.VALUE_STRING) {
            throw new BadRequestException(label + ": \"datatype\" must be a string, got " + DataReader.describe(p));
          }
          datatypeName = p.getText();
        }
        case "shape" -> shape = readShape(p, label);
        case "data" -> {
          if (name != null && datatypeName != null && shape != null) {
            TensorSpec spec = check(name, datatypeName, shape);
            data = DataReader.read(p, "input '" + name + "'", spec.datatype(), shape, elementCount(name, shape));
          } else {
            // "data" came before what it must be checked against: keep its tokens and read them at the end.
            deferred = TokenBuffer.asCopyOfValue(p);
          }
        }
        default -> p.skipChildren();
      }
    }
    if (name == null) {
      throw new BadRequestException(where + " has no \"name\"; the model's inputs are " + model.describeInputs());
    }
    if (datatypeName == null) {
      throw new BadRequestException("input '" + name + "' has no \"datatype\""
          + model.input(name).map(s -> "; expected " + s.datatype()).orElse(""));
    }
    if (shape == null) {
      throw new BadRequestException("input '" + name + "' has no \"shape\""
          + model.input(name).map(s -> "; expected " + Shapes.format(s.shape())).orElse(""));
    }
    TensorSpec spec = check(name, datatypeName, shape);
    if (data == null && deferred != null) {
      try (JsonParser replay = deferred.asParser()) {
        replay.nextToken();
        data = DataReader.read(replay, "input '" + name + "'", spec.datatype(), shape, elementCount(name, shape));
      }
    }
    if (data == null) {
      throw new BadRequestException("input '" + name + "' has no \"data\"");
    }
    return new Tensor(name, spec.datatype(), shape, data);
  }

  /** The model's spec for this input once the request's datatype and shape are known to fit it. */
  private TensorSpec check(String name, String datatypeName, long[] shape) {
    TensorSpec spec = model.input(name).orElseThrow(() -> new BadRequestException(
        "unknown input '" + name + "'; the model's inputs are " + model.describeInputs()));
    Datatype datatype;
    try {
      datatype = Datatype.parse(datatypeName);
    } catch (IllegalArgumentException e) {
      throw new BadRequestException("input '" + name + "': " + e.getMessage() + "; expected " + spec.datatype());
    }
    spec.mismatch(datatype, shape).ifPresent(why -> {
      throw new BadRequestException("input '" + name + "': " + why);
    });
    return spec;
  }

  /**
   * product(shape), refused when the body could not possibly hold that many values (each takes at least
   * one byte): a 20-byte request must not make the server allocate for shape [1000000000].
   */
  private int elementCount(String name, long[] shape) {
    long n = Shapes.elementCount(shape);
    if (n > bodyLength) {
      throw new BadRequestException("input '" + name + "': shape " + Shapes.format(shape) + " needs " + n
          + " elements, more than a body of " + bodyLength + " bytes can hold");
    }
    return (int) n;
  }

  private static long[] readShape(JsonParser p, String label) throws IOException {
    expectArray(p, label + ": \"shape\"", "an array of non-negative integers");
    List<Long> dims = new ArrayList<>();
    JsonToken t;
    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
      if (t != JsonToken.VALUE_NUMBER_INT || p.getNumberType() == JsonParser.NumberType.BIG_INTEGER
          || p.getLongValue() < 0) {
        throw new BadRequestException(label + ": \"shape\" must be an array of non-negative integers, found "
            + DataReader.describe(p));
      }
      dims.add(p.getLongValue());
    }
    long[] shape = new long[dims.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = dims.get(i);
    }
    return shape;
  }

  private static String readOutput(JsonParser p) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw new BadRequestException("each of \"outputs\" must be an object {\"name\": ...}, got " + DataReader.describe(p));
    }
    String name = null;
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String field = p.currentName();
      JsonToken t = p.nextToken();
      if (field.equals("name") && t == JsonToken.VALUE_STRING) {
        name = p.getText();
      } else {
        p.skipChildren(); // "parameters" (binary_data, classification): not supported, so ignored
      }
    }
    if (name == null) {
      throw new BadRequestException("an entry of \"outputs\" has no \"name\" string");
    }
    return name;
  }

  private static void expectArray(JsonParser p, String what, String expected) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw new BadRequestException(what + " must be " + expected + ", got " + DataReader.describe(p));
    }
  }
}
