package io.modelgate.server.batch;

import io.modelgate.server.tensor.Datatype;
import io.modelgate.server.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** The pure parts of batching: which requests may share a run, stacking them, and splitting the result. */
final class Batches {
  private Batches() {
  }

  /** What requests must share to be stacked: each input's datatype and shape past the first dimension, and the outputs asked for. */
  record Key(List<String> inputs, Set<String> outputs) {
  }

  /**
   * The number of rows (the first dimension) the request adds to a batch, or -1 when it cannot be
   * stacked: a scalar input, or inputs that disagree on their first dimension.
   */
  static int rows(Map<String, Tensor> inputs) {
    long rows = -1;
    for (Tensor t : inputs.values()) {
      if (t.shape().length == 0 || (rows >= 0 && t.shape()[0] != rows)) {
        return -1;
      }
      rows = t.shape()[0];
    }
    return rows > Integer.MAX_VALUE ? -1 : (int) rows;
  }

  /** The stacking key, or null when the request can only run alone. */
  static Key key(Map<String, Tensor> inputs, Set<String> outputs) {
    if (rows(inputs) < 0) {
      return null;
    }
    List<String> parts = new ArrayList<>();
    for (String name : new TreeSet<>(inputs.keySet())) {
      Tensor t = inputs.get(name);
      long[] rest = Arrays.copyOfRange(t.shape(), 1, t.shape().length);
      parts.add(name + ":" + t.datatype() + ":" + Arrays.toString(rest));
    }
    return new Key(parts, new TreeSet<>(outputs));
  }

  /**
   * Splits a window of requests into runs: requests with equal keys together, in order of arrival, each run
   * at most {@code maxRows} rows; a request with no key, or more rows than that, runs alone.
   */
  static <P extends Batcher.Pending> List<List<P>> group(List<P> window, int maxRows) {
    Map<Object, List<List<P>>> byKey = new LinkedHashMap<>();
    List<List<P>> runs = new ArrayList<>();
    for (P p : window) {
      if (p.key == null || p.rows > maxRows) {
        runs.add(List.of(p));
        continue;
      }
      List<List<P>> chunks = byKey.computeIfAbsent(p.key, k -> new ArrayList<>());
      List<P> last = chunks.isEmpty() ? null : chunks.get(chunks.size() - 1);
      if (last == null || rowsOf(last) + p.rows > maxRows) {
        last = new ArrayList<>();
        chunks.add(last);
        runs.add(last);
      }
      last.add(p);
    }
    return runs;
  }

  private static int rowsOf(List<? extends Batcher.Pending> run) {
    int n = 0;
    for (Batcher.Pending p : run) {
      n += p.rows;
    }
    return n;
  }

  /** One input map whose tensors are the requests' tensors concatenated on the first dimension. */
  static Map<String, Tensor> stack(List<Map<String, Tensor>> requests) {
    Map<String, Tensor> first = requests.get(0);
    Map<String, Tensor> stacked = new LinkedHashMap<>();
    for (Tensor proto : first.values()) {
      long rows = 0;
      int elements = 0;
      for (Map<String, Tensor> r : requests) {
        Tensor t = r.get(proto.name());
        rows += t.shape()[0];
        elements += t.elementCount();
      }
      Datatype datatype = proto.datatype();
      Object data = datatype.allocate(elements);
      int at = 0;
      for (Map<String, Tensor> r : requests) {
        Tensor t = r.get(proto.name());
        System.arraycopy(t.data(), 0, data, at, t.elementCount());
        at += t.elementCount();
      }
      long[] shape = proto.shape().clone();
      shape[0] = rows;
      stacked.put(proto.name(), new Tensor(proto.name(), datatype, shape, data));
    }
    return stacked;
  }

  /**
   * The outputs of a stacked run cut back into one map per request, {@code rows[i]} rows each.
   *
   * @throws IllegalStateException when an output's first dimension is not the batch's row count (a model
   *     whose outputs do not follow its batch dimension): the caller then runs the requests alone
   */
  static List<Map<String, Tensor>> split(Map<String, Tensor> outputs, int[] rows) {
    int total = Arrays.stream(rows).sum();
    List<Map<String, Tensor>> parts = new ArrayList<>(rows.length);
    for (int i = 0; i < rows.length; i++) {
      parts.add(new LinkedHashMap<>());
    }
    for (Tensor t : outputs.values()) {
      if (t.shape().length == 0 || t.shape()[0] != total) {
        throw new IllegalStateException("output '" + t.name() + "' has shape " + Arrays.toString(t.shape())
            + ", not " + total + " rows like the batch");
      }
      int perRow = total == 0 ? 0 : t.elementCount() / total;
      int at = 0;
      for (int i = 0; i < rows.length; i++) {
        int n = rows[i] * perRow;
        Object data = t.datatype().allocate(n);
        System.arraycopy(t.data(), at, data, 0, n);
        at += n;
        long[] shape = t.shape().clone();
        shape[0] = rows[i];
        parts.get(i).put(t.name(), new Tensor(t.name(), t.datatype(), shape, data));
      }
    }
    return parts;
  }
}
