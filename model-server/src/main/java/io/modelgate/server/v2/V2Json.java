package io.modelgate.server.v2;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import io.modelgate.server.tensor.Half;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.tensor.TensorSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Map;

/**
 * The Open Inference Protocol's JSON: reads inference requests (checked against the model) and writes
 * responses, model metadata and errors. Thread-safe; one instance serves every request.
 *
 * @see <a href="https://github.com/kserve/open-inference-protocol/blob/main/specification/protocol/inference_rest.md">Open Inference Protocol, REST</a>
 */
public final class V2Json {
  private final JsonFactory json;

  public V2Json() {
    this.json = JsonFactory.builder()
        // Numbers longer than this are no tensor element anyone means to send; refuse them early.
        .streamReadConstraints(StreamReadConstraints.builder().maxNumberLength(400).maxNestingDepth(64).build())
        .build();
  }

  /**
   * Parses and checks a request body against the model.
   *
   * @throws BadRequestException naming what is wrong: malformed JSON, an unknown or missing input, a
   *     datatype or shape the model does not take, data that does not fit its shape or datatype
   */
  public InferRequest readInferRequest(byte[] body, int length, ModelMetadata model) {
    try (JsonParser p = json.createParser(body, 0, length)) {
      return new RequestReader(model, length).read(p);
    } catch (JsonProcessingException e) {
      throw new BadRequestException("malformed JSON: " + e.getOriginalMessage() + locationOf(e), e);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // reading a byte array does no I/O
    }
  }

  public void writeInferResponse(InferResponse response, OutputStream out) throws IOException {
    try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("model_name", response.modelName());
      if (response.modelVersion().isPresent()) {
        g.writeStringField("model_version", response.modelVersion().get());
      }
      g.writeStringField("id", response.id());
      g.writeArrayFieldStart("outputs");
      for (Tensor t : response.outputs()) {
        g.writeStartObject();
        g.writeStringField("name", t.name());
        g.writeStringField("datatype", t.datatype().name());
        writeShape(g, t.shape());
        g.writeFieldName("data");
        writeData(g, t);
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
  }

  /** {@code {name, versions, platform, inputs: [{name, datatype, shape}], outputs: [...]}}. */
  public void writeMetadata(ModelMetadata m, OutputStream out) throws IOException {
    try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      g.writeStringField("name", m.name());
      g.writeArrayFieldStart("versions");
      if (m.version().isPresent()) {
        g.writeString(m.version().get());
      }
      g.writeEndArray();
      g.writeStringField("platform", m.platform());
      writeSpecs(g, "inputs", m.inputs());
      writeSpecs(g, "outputs", m.outputs());
      g.writeEndObject();
    }
  }

  public void writeError(String message, OutputStream out) throws IOException {
    writeObject(Map.of("error", message), out);
  }

  /** A flat object of strings, booleans, numbers and lists of strings: health and server metadata. */
  public void writeObject(Map<String, ?> fields, OutputStream out) throws IOException {
    try (JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8)) {
      g.writeStartObject();
      for (Map.Entry<String, ?> f : fields.entrySet()) {
        g.writeFieldName(f.getKey());
        Object v = f.getValue();
        if (v instanceof Boolean b) {
          g.writeBoolean(b);
        } else if (v instanceof Number n) {
          g.writeNumber(n.toString());
        } else if (v instanceof Collection<?> c) {
          g.writeStartArray();
          for (Object o : c) {
            g.writeString(String.valueOf(o));
          }
          g.writeEndArray();
        } else {
          g.writeString(String.valueOf(v));
        }
      }
      g.writeEndObject();
    }
  }

  private static void writeSpecs(JsonGenerator g, String field, Iterable<TensorSpec> specs) throws IOException {
    g.writeArrayFieldStart(field);
    for (TensorSpec s : specs) {
      g.writeStartObject();
      g.writeStringField("name", s.name());
      g.writeStringField("datatype", s.datatype().name());
      writeShape(g, s.shape());
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void writeShape(JsonGenerator g, long[] shape) throws IOException {
    g.writeFieldName("shape");
    g.writeArray(shape, 0, shape.length);
  }

  /** Flat, row-major; unsigned values as their unsigned number, FP16 as the float it stands for. */
  private static void writeData(JsonGenerator g, Tensor t) throws IOException {
    Object d = t.data();
    g.writeStartArray();
    switch (t.datatype()) {
      case BOOL -> {
        for (boolean v : (boolean[]) d) {
          g.writeBoolean(v);
        }
      }
      case INT8 -> {
        for (byte v : (byte[]) d) {
          g.writeNumber(v);
        }
      }
      case UINT8 -> {
        for (byte v : (byte[]) d) {
          g.writeNumber(v & 0xff);
        }
      }
      case INT16 -> {
        for (short v : (short[]) d) {
          g.writeNumber(v);
        }
      }
      case UINT16 -> {
        for (short v : (short[]) d) {
          g.writeNumber(v & 0xffff);
        }
      }
      case INT32 -> {
        for (int v : (int[]) d) {
          g.writeNumber(v);
        }
      }
      case UINT32 -> {
        for (int v : (int[]) d) {
          g.writeNumber(v & 0xffffffffL);
        }
      }
      case INT64 -> {
        for (long v : (long[]) d) {
          g.writeNumber(v);
        }
      }
      case UINT64 -> {
        for (long v : (long[]) d) {
          if (v >= 0) {
            g.writeNumber(v);
          } else {
            g.writeNumber(Long.toUnsignedString(v));
          }
        }
      }
      case FP16 -> {
        for (short v : (short[]) d) {
          g.writeNumber(Half.toFloat(v));
        }
      }
      case FP32 -> {
        for (float v : (float[]) d) {
          g.writeNumber(v);
        }
      }
      case FP64 -> {
        for (double v : (double[]) d) {
          g.writeNumber(v);
        }
      }
      case BYTES -> {
        for (String v : (String[]) d) {
          g.writeString(v);
        }
      }
    }
    g.writeEndArray();
  }

  private static String locationOf(JsonProcessingException e) {
    var loc = e.getLocation();
    return loc == null || loc.getLineNr() < 0 ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
  }
}
