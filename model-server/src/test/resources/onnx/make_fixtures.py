#!/usr/bin/python3
"""Writes the small ONNX models the model-server's tests load (committed; rerun after changing this file).

    identity_all.onnx   one Identity per datatype the server can feed (x_bool -> y_bool, ...), every input
                        [-1, 2]; plus y_uint16/32/64 = Cast(x_int64), since unsigned inputs cannot be fed
    uint32_input.onnx   an input ONNX Runtime's Java API cannot create tensors for (refused at load)
    fixed_batch.onnx    Relu over FP32 [1, 3]: a first dimension that is not variable (no batching)
    /usr/bin/python3 model-server/src/test/resources/onnx/make_fixtures.py
"""
import os

import onnx
from onnx import TensorProto as T, helper

HERE = os.path.dirname(os.path.abspath(__file__))
FEEDABLE = {"bool": T.BOOL, "uint8": T.UINT8, "int8": T.INT8, "int16": T.INT16, "int32": T.INT32,
            "int64": T.INT64, "fp16": T.FLOAT16, "fp32": T.FLOAT, "fp64": T.DOUBLE, "bytes": T.STRING}
UNSIGNED = {"uint16": T.UINT16, "uint32": T.UINT32, "uint64": T.UINT64}


def save(graph, name):
    model = helper.make_model(graph, producer_name="model-server tests", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(HERE, name))


def main():
    nodes = [helper.make_node("Identity", [f"x_{k}"], [f"y_{k}"]) for k in FEEDABLE]
    nodes += [helper.make_node("Cast", ["x_int64"], [f"y_{k}"], to=t) for k, t in UNSIGNED.items()]
    save(helper.make_graph(
        nodes, "identity_all",
        [helper.make_tensor_value_info(f"x_{k}", t, ["batch", 2]) for k, t in FEEDABLE.items()],
        [helper.make_tensor_value_info(f"y_{k}", t, ["batch", 2]) for k, t in {**FEEDABLE, **UNSIGNED}.items()]),
        "identity_all.onnx")
    save(helper.make_graph(
        [helper.make_node("Identity", ["x"], ["y"])], "uint32_input",
        [helper.make_tensor_value_info("x", T.UINT32, ["batch"])],
        [helper.make_tensor_value_info("y", T.UINT32, ["batch"])]), "uint32_input.onnx")
    save(helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "fixed_batch",
        [helper.make_tensor_value_info("x", T.FLOAT, [1, 3])],
        [helper.make_tensor_value_info("y", T.FLOAT, [1, 3])]), "fixed_batch.onnx")


if __name__ == "__main__":
    main()
