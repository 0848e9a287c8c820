#!/usr/bin/python3
"""Writes examples/mlp/model.onnx: an MLP with random (seeded) weights, for throughput work.

    input   FP32 [-1, 256]
    3 x (Gemm 1024 + Relu)
    scores  FP32 [-1, 16]       (Gemm 16, no activation)

About 2.4 million parameters, 9.5 MB. The weights mean nothing: the model exists to give the server
real arithmetic per request (and something worth batching). The file is not committed; this script
builds the same bytes every time (fixed seed).
    /usr/bin/python3 examples/mlp/make_model.py [--out PATH]
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
INPUT, HIDDEN, LAYERS, OUTPUT = 256, 1024, 3, 16


def build(seed=20240229):
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    prev, width = "input", INPUT
    for i in range(LAYERS + 1):
        last = i == LAYERS
        out_width = OUTPUT if last else HIDDEN
        # He initialisation keeps activations from vanishing or blowing up through the ReLUs.
        w = (rng.standard_normal((width, out_width)) * np.sqrt(2.0 / width)).astype(np.float32)
        b = (rng.standard_normal(out_width) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"b{i}")]
        gemm_out = "scores" if last else f"h{i}"
        nodes.append(helper.make_node("Gemm", [prev, f"W{i}", f"b{i}"], [gemm_out]))
        if not last:
            nodes.append(helper.make_node("Relu", [gemm_out], [f"a{i}"]))
            prev = f"a{i}"
        width = out_width
    graph = helper.make_graph(
        nodes, "mlp_bench",
        inputs=[helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", INPUT])],
        outputs=[helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["batch", OUTPUT])],
        initializer=inits,
    )
    model = helper.make_model(graph, producer_name="modelgate examples/mlp/make_model.py",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "model.onnx"))
    args = parser.parse_args()
    model = build()
    onnx.save(model, args.out)
    params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print(f"wrote {args.out}: {params} parameters, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
