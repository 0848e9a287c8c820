package io.modelgate.server.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtLoggingLevel;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Tensor;
import io.modelgate.server.tensor.TensorSpec;
import io.modelgate.server.v2.BadRequestException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;

/**
 * One ONNX model in an ONNX Runtime session: its inputs and outputs as the protocol describes them, and
 * a thread-safe {@link #run} (ORT sessions take concurrent runs).
 */
public final class OnnxModel implements AutoCloseable {
  /** The platform name Triton and KServe give ONNX Runtime models in their metadata. */
  public static final String PLATFORM = "onnxruntime_onnx";

  private static final Logger LOG = Logger.getLogger(OnnxModel.class.getName());

  private final OrtEnvironment env;
  private final OrtSession session;
  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private final Set<String> outputNames;

  private OnnxModel(OrtEnvironment env, OrtSession session, List<TensorSpec> inputs, List<TensorSpec> outputs) {
    this.env = env;
    this.session = session;
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    Set<String> names = new LinkedHashSet<>();
    outputs.forEach(o -> names.add(o.name()));
    this.outputNames = Collections.unmodifiableSet(names);
  }

  /**
   * Loads the model with ORT's full graph optimisations.
   *
   * @param intraOpThreads threads one run may use: the cores this process may use, since one run at a
   *     time should be able to use all of them
   * @throws ModelLoadException naming the file and what is wrong with it
   */
  public static OnnxModel load(Path file, int intraOpThreads) throws ModelLoadException {
    if (!Files.isRegularFile(file)) {
      throw new ModelLoadException("model file " + file + " does not exist or is not a file");
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment(OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, "model-server");
    OrtSession session;
    try (OrtSession.SessionOptions options = sessionOptions(intraOpThreads)) {
      session = env.createSession(file.toString(), options);
    } catch (OrtException e) {
      throw new ModelLoadException("ONNX Runtime cannot load " + file + ": " + message(e), e);
    }
    try {
      List<TensorSpec> in = new ArrayList<>();
      for (Map.Entry<String, NodeInfo> e : session.getInputInfo().entrySet()) {
        TensorSpec spec = spec(e.getKey(), e.getValue()).orElseThrow(() -> new ModelLoadException(
            "model " + file + ": input '" + e.getKey() + "' is " + e.getValue().getInfo()
                + ", which the Open Inference Protocol has no datatype for; only tensors of BOOL, (U)INT8..64,"
                + " FP16, FP32, FP64 or STRING can be served"));
        if (!OnnxTypes.feedable(spec.datatype())) {
          throw new ModelLoadException("model " + file + ": input '" + spec.name() + "' is " + spec.datatype()
              + ", which ONNX Runtime's Java API cannot create tensors of; make the input INT64 (or INT32)"
              + " and Cast it inside the model");
        }
        in.add(spec);
      }
      List<TensorSpec> out = new ArrayList<>();
      for (Map.Entry<String, NodeInfo> e : session.getOutputInfo().entrySet()) {
        Optional<TensorSpec> spec = spec(e.getKey(), e.getValue());
        if (spec.isPresent()) {
          out.add(spec.get());
        } else {
          // A ZipMap's sequence of maps, say: the model still serves its tensor outputs.
          LOG.warning(() -> "output '" + e.getKey() + "' (" + e.getValue().getInfo()
              + ") is not a tensor the protocol can carry; it is left out of metadata and responses");
        }
      }
      if (out.isEmpty()) {
        throw new ModelLoadException("model " + file + " has no tensor outputs the server can return");
      }
      return new OnnxModel(env, session, in, out);
    } catch (OrtException e) {
      closeQuietly(session);
      throw new ModelLoadException("ONNX Runtime cannot describe " + file + ": " + message(e), e);
    } catch (ModelLoadException e) {
      closeQuietly(session);
      throw e;
    }
  }

  /**
   * The session options the server runs models with (public so that the in-process benchmark runs the same):
   * full graph optimisation, sequential execution, {@code intraOpThreads} threads per run, and those threads
   * sleeping rather than spinning between operators. Spinning wins for one caller on idle cores, but the
   * server shares its cores with HTTP and JSON work and runs requests concurrently: on 2 cores with 8
   * clients the MLP example served 3.8k rather than 3.0k requests/s without batching, 5.9k rather than
   * 3.1k with it, for 15% less with a single client.
   */
  public static OrtSession.SessionOptions sessionOptions(int intraOpThreads) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1); // sequential execution: the inter-op pool would sit idle
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      return options;
    } catch (OrtException e) {
      options.close();
      throw e;
    }
  }

  public List<TensorSpec> inputs() {
    return inputs;
  }

  public List<TensorSpec> outputs() {
    return outputs;
  }

  /**
   * Runs the model once. Inputs are expected to have been checked against {@link #inputs()}.
   *
   * @param wanted output names to compute; empty for all
   * @return the outputs by name, in the model's order
   * @throws BadRequestException when ONNX Runtime refuses the input (a shape the graph cannot take)
   * @throws IllegalStateException when the run fails for any other reason
   */
  public Map<String, Tensor> run(Map<String, Tensor> inputs, Set<String> wanted) {
    Set<String> names = wanted.isEmpty() ? outputNames : wanted;
    Map<String, OnnxTensor> feeds = new LinkedHashMap<>();
    try {
      for (Tensor t : inputs.values()) {
        feeds.put(t.name(), Conversions.toOnnx(env, t));
      }
      try (OrtSession.Result result = session.run(feeds, names)) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (TensorSpec spec : outputs) {
          if (names.contains(spec.name())) {
            Optional<OnnxValue> value = result.get(spec.name());
            if (value.isEmpty() || !(value.get() instanceof OnnxTensor tensor)) {
              throw new IllegalStateException("ONNX Runtime returned no tensor for output '" + spec.name() + "'");
            }
            out.put(spec.name(), Conversions.fromOnnx(spec.name(), spec.datatype(), tensor));
          }
        }
        return out;
      }
    } catch (OrtException e) {
      if (e.getCode() == OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT) {
        throw new BadRequestException("the model refused the inputs: " + message(e), e);
      }
      throw new IllegalStateException("ONNX Runtime failed: " + message(e), e);
    } finally {
      feeds.values().forEach(OnnxTensor::close);
    }
  }

  @Override
  public void close() {
    closeQuietly(session);
  }

  private static Optional<TensorSpec> spec(String name, NodeInfo node) {
    if (!(node.getInfo() instanceof TensorInfo info)) {
      return Optional.empty();
    }
    Optional<Datatype> datatype = OnnxTypes.datatypeOf(info.onnxType);
    // ORT reports symbolic ("batch") and unknown dimensions as -1, the protocol's "variable".
    return datatype.map(d -> TensorSpec.of(name, d, info.getShape()));
  }

  /** ORT's message without its "Error code - ORT_X - message: " prefix, which says nothing to a user. */
  static String message(OrtException e) {
    String m = String.valueOf(e.getMessage());
    int i = m.indexOf("message: ");
    return i >= 0 ? m.substring(i + "message: ".length()).strip() : m;
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      LOG.warning(() -> "closing the ONNX Runtime session: " + message(e));
    }
  }
}
