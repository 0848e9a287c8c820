#!/usr/bin/python3
"""Trains a logistic regression on the iris data and writes it as an ONNX graph, without skl2onnx.

skl2onnx is not packaged in Debian, so the learned weights are written by hand with onnx.helper:
    logits = float_input @ W + b      (MatMul + Add)
    probabilities = Softmax(logits)   FP32 [-1, 3]
    label = ArgMax(logits)            INT64 [-1]
Also writes, next to this script:
    iris.csv       the 150 rows of sklearn's iris data (features + target), the integration tests' fixture
    expected.json  this script's own predictions for all 150 rows, computed with numpy in float32 from the
                   same weights the graph holds, and checked equal to sklearn's predict
    request.json   a sample Open Inference Protocol (KServe V2) request
Run with Debian's python3 (apt-get install python3-sklearn python3-onnx python3-numpy):
    /usr/bin/python3 examples/iris/train.py
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

HERE = os.path.dirname(os.path.abspath(__file__))


def train():
    iris = load_iris()
    x, y = iris.data, iris.target
    # lbfgs on raw features is deterministic; no scaler, so the weights apply to the request as sent.
    clf = LogisticRegression(max_iter=5000, C=1.0)
    clf.fit(x, y)
    return iris, clf


def to_onnx(w, b):
    """w: float32 [4, 3], b: float32 [3] -> ModelProto."""
    graph = helper.make_graph(
        nodes=[
            helper.make_node("MatMul", ["float_input", "W"], ["xw"]),
            helper.make_node("Add", ["xw", "b"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
            helper.make_node("ArgMax", ["logits"], ["label"], axis=1, keepdims=0),
        ],
        name="iris_logistic_regression",
        inputs=[helper.make_tensor_value_info("float_input", TensorProto.FLOAT, ["batch", 4])],
        outputs=[
            helper.make_tensor_value_info("label", TensorProto.INT64, ["batch"]),
            helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", 3]),
        ],
        initializer=[numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "b")],
    )
    model = helper.make_model(
        graph,
        producer_name="modelgate examples/iris/train.py",
        opset_imports=[helper.make_opsetid("", 13)],
    )
    # ir_version 8 is what onnx 1.12 (Debian 12) writes; every ONNX Runtime since 1.10 reads it.
    model.ir_version = 8
    onnx.checker.check_model(model, full_check=True)
    return model


def predict(x, w, b):
    """What the graph computes, in numpy, in float32 like ONNX Runtime."""
    logits = x.astype(np.float32) @ w + b
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return logits.argmax(axis=1), e / e.sum(axis=1, keepdims=True)


def main():
    iris, clf = train()
    w = clf.coef_.T.astype(np.float32)          # [4, 3]
    b = clf.intercept_.astype(np.float32)       # [3]
    model = to_onnx(w, b)
    onnx.save(model, os.path.join(HERE, "model.onnx"))

    labels, probs = predict(iris.data, w, b)
    sk = clf.predict(iris.data)
    if not np.array_equal(labels, sk):
        raise SystemExit(f"float32 graph disagrees with sklearn on rows {np.nonzero(labels != sk)[0].tolist()}")

    with open(os.path.join(HERE, "iris.csv"), "w") as f:
        f.write("sepal_length,sepal_width,petal_length,petal_width,target\n")
        for row, t in zip(iris.data, iris.target):
            f.write(",".join(repr(float(v)) for v in row) + f",{int(t)}\n")

    expected = {
        "model": "iris",
        "classes": [str(c) for c in iris.target_names],
        "training_accuracy": float((sk == iris.target).mean()),
        "labels": [int(v) for v in labels],
        "probabilities": [[round(float(p), 6) for p in row] for row in probs],
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        # One row per line, so a diff after retraining shows which rows changed.
        f.write("{\n")
        f.write(f' "model": {json.dumps(expected["model"])},\n')
        f.write(f' "classes": {json.dumps(expected["classes"])},\n')
        f.write(f' "training_accuracy": {json.dumps(expected["training_accuracy"])},\n')
        f.write(f' "labels": {json.dumps(expected["labels"])},\n')
        f.write(' "probabilities": [\n')
        f.write(",\n".join("  " + json.dumps(row) for row in expected["probabilities"]))
        f.write("\n ]\n}\n")

    request = {
        "id": "iris-sample",
        "inputs": [{
            "name": "float_input",
            "shape": [2, 4],
            "datatype": "FP32",
            "data": [[5.1, 3.5, 1.4, 0.2], [6.7, 3.0, 5.2, 2.3]],
        }],
    }
    with open(os.path.join(HERE, "request.json"), "w") as f:
        json.dump(request, f, indent=2)
        f.write("\n")
    print(f"wrote model.onnx, iris.csv, expected.json, request.json; "
          f"training accuracy {expected['training_accuracy']:.3f}")


if __name__ == "__main__":
    main()
