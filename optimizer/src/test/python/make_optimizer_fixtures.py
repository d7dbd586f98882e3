"""Fixtures for the optimizer's tests.

Each model is saved next to `<name>.expected.json`: held-out input rows (float32,
some with NaN) and the predictions that the original library itself computes for
them. The Java tests never compute expected values with the code under test.

Run: python optimizer/src/test/python/make_optimizer_fixtures.py
Needs: numpy xgboost lightgbm scikit-learn skl2onnx onnx onnxruntime (PyPI).
"""
import json
import os
import sys

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "fixtures")
RNG = np.random.default_rng(20261126)


def data(n, f, nan_fraction=0.08):
    x = RNG.normal(size=(n, f)).astype(np.float32)
    # Rows with NaN exercise the learned default direction.
    mask = RNG.random(size=x.shape) < nan_fraction
    x_nan = x.copy()
    x_nan[mask] = np.nan
    return x, x_nan


def save_expected(name, x, expected, **extra):
    doc = {"inputs": x.astype(np.float64).tolist(),
           "expected": np.asarray(expected, dtype=np.float64).tolist()}
    doc.update(extra)
    with open(os.path.join(OUT, name + ".expected.json"), "w") as f:
        json.dump(doc, f)  # NaN is written as NaN; the tests allow it


def xgboost_models():
    import xgboost as xgb
    n, f = 600, 6
    x, x_nan = data(n, f)
    w = RNG.normal(size=f)
    y_reg = x @ w + 0.1 * RNG.normal(size=n)
    y_bin = (y_reg > 0).astype(int)
    y_multi = np.digitize(y_reg, np.quantile(y_reg, [0.33, 0.66]))
    train, test = slice(0, 500), slice(500, 600)
    specs = [
        ("xgb_regression", "reg:squarederror", y_reg, {}),
        ("xgb_binary_logistic", "binary:logistic", y_bin, {}),
        ("xgb_multi_softprob", "multi:softprob", y_multi, {"num_class": 3}),
        ("xgb_multi_softmax", "multi:softmax", y_multi, {"num_class": 3}),
    ]
    for name, objective, y, extra in specs:
        params = {"objective": objective, "max_depth": 4, "eta": 0.3, "seed": 1, **extra}
        dtrain = xgb.DMatrix(x_nan[train], label=y[train], missing=np.nan)
        booster = xgb.train(params, dtrain, num_boost_round=12)
        booster.save_model(os.path.join(OUT, name + ".json"))
        pred = booster.predict(xgb.DMatrix(x_nan[test], missing=np.nan))
        save_expected(name, x_nan[test], pred, objective=objective)
    # The same binary model as UBJSON.
    booster.save_model(os.path.join(OUT, "xgb_multi_softmax.ubj"))


def categorical_data(n):
    """Feature 1 is a category in 0..7 (as float), NaN now and then. Own seed: reproducible alone."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    cat = rng.integers(0, 8, size=n)
    x[:, 1] = cat
    effect = np.array([2.0, -1.0, 0.5, 3.0, -2.0, 0.0, 1.0, -3.0])
    y = x[:, 0] + effect[cat] + 0.1 * rng.normal(size=n)
    x[rng.random(size=x.shape) < 0.08] = np.nan
    return x, y


def xgboost_categorical():
    import xgboost as xgb
    x, y = categorical_data(600)
    train, test = slice(0, 500), slice(500, 600)
    types = ["q", "c", "q", "q"]
    dtrain = xgb.DMatrix(x[train], label=y[train], feature_types=types, enable_categorical=True, missing=np.nan)
    # max_cat_to_onehot=1 makes partition (set) splits rather than one-hot ones.
    booster = xgb.train({"objective": "reg:squarederror", "max_depth": 4, "tree_method": "hist",
                         "max_cat_to_onehot": 1, "seed": 1}, dtrain, num_boost_round=10)
    booster.save_model(os.path.join(OUT, "xgb_categorical.json"))
    pred = booster.predict(xgb.DMatrix(x[test], feature_types=types, enable_categorical=True, missing=np.nan))
    save_expected("xgb_categorical", x[test], pred, objective="reg:squarederror")


def lightgbm_categorical():
    import lightgbm as lgb
    x, y = categorical_data(600)
    train, test = slice(0, 500), slice(500, 600)
    params = {"objective": "regression", "num_leaves": 15, "learning_rate": 0.2, "min_data_in_leaf": 5,
              "min_data_per_group": 5, "cat_smooth": 1, "verbose": -1, "seed": 1, "deterministic": True}
    ds = lgb.Dataset(x[train].astype(np.float64), label=y[train], categorical_feature=[1])
    booster = lgb.train(params, ds, num_boost_round=10)
    booster.save_model(os.path.join(OUT, "lgb_categorical.txt"))
    pred = booster.predict(x[test].astype(np.float64))
    save_expected("lgb_categorical", x[test], pred, objective="regression")


def lightgbm_models():
    import lightgbm as lgb
    n, f = 600, 5
    x, x_nan = data(n, f)
    w = RNG.normal(size=f)
    y_reg = x @ w + 0.1 * RNG.normal(size=n)
    y_bin = (y_reg > 0).astype(int)
    y_multi = np.digitize(y_reg, np.quantile(y_reg, [0.33, 0.66]))
    train, test = slice(0, 500), slice(500, 600)
    # Some exact zeros, for the zero_as_missing model.
    x_zero = x_nan.copy()
    x_zero[RNG.random(size=x.shape) < 0.1] = 0.0
    specs = [
        ("lgb_regression", {"objective": "regression"}, y_reg, x_nan),
        ("lgb_binary", {"objective": "binary"}, y_bin, x_nan),
        ("lgb_multiclass", {"objective": "multiclass", "num_class": 3}, y_multi, x_nan),
        ("lgb_zero_as_missing", {"objective": "regression", "zero_as_missing": True}, y_reg, x_zero),
    ]
    for name, params, y, xs in specs:
        params = {**params, "num_leaves": 15, "learning_rate": 0.2, "min_data_in_leaf": 5,
                  "verbose": -1, "seed": 1, "deterministic": True}
        ds = lgb.Dataset(xs[train].astype(np.float64), label=y[train])
        booster = lgb.train(params, ds, num_boost_round=15)
        booster.save_model(os.path.join(OUT, name + ".txt"))
        pred = booster.predict(xs[test].astype(np.float64))
        save_expected(name, xs[test], pred, objective=params["objective"])


def onnx_models():
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from skl2onnx import to_onnx
    from sklearn.datasets import load_digits
    from sklearn.neural_network import MLPClassifier

    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target
    clf = MLPClassifier(hidden_layer_sizes=(128, 64), max_iter=200, random_state=0)
    clf.fit(x[:1500], y[:1500])
    model = to_onnx(clf, x[:1], options={id(clf): {"zipmap": False}}, target_opset=17)
    path = os.path.join(OUT, "digits_mlp.onnx")
    onnx.save(model, path)
    test = x[1500:1564]

    def run(p):
        s = ort.InferenceSession(p, providers=["CPUExecutionProvider"])
        label, proba = s.run(None, {s.get_inputs()[0].name: test})
        return label, proba

    label, proba = run(path)
    extra = {"labels": label.tolist()}
    for per_channel in (False, True):
        q = os.path.join(OUT, "_tmp_q.onnx")
        quantize_dynamic(path, q, weight_type=QuantType.QInt8, per_channel=per_channel)
        ql, qp = run(q)
        key = "perChannel" if per_channel else "perTensor"
        extra["ort_" + key + "_probabilities"] = qp.astype(np.float64).tolist()
        extra["ort_" + key + "_bytes"] = os.path.getsize(q)
        os.remove(q)
    save_expected("digits_mlp", test, proba, **extra)


def embedding_model():
    """Embedding Gathers feeding an Add and a MatMul, quantized by onnxruntime's quantize_dynamic."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
    from onnxruntime.quantization import QuantType, quantize_dynamic

    rng = np.random.default_rng(12)  # own seed: reproducible alone
    vocab, seq, dim = 400, 16, 32
    tables = {
        "word_embeddings": (0.1 * rng.normal(size=(vocab, dim))).astype(np.float32),
        "position_embeddings": (0.02 * rng.normal(size=(seq, dim)) + 0.01).astype(np.float32),
        # Output widths 16 and 8: ONNX Runtime 1.23.2 (the runtime then) computed wrong MatMulInteger values on CPUs with
        # AMX-INT8 for 32+ rows when the width mod 32 is 17-31 (fixed in 1.28; PassesTest covers it); a width like 24 would
        # test that bug, not the quantizer.
        "head_weight": rng.normal(size=(dim, 16)).astype(np.float32) / 6,
        "direct_weight": rng.normal(size=(dim, 8)).astype(np.float32) / 6,
        "position_ids": np.arange(seq, dtype=np.int64),
    }
    nodes = [
        helper.make_node("Gather", ["word_embeddings", "input_ids"], ["word"], name="word_gather"),
        helper.make_node("Gather", ["position_embeddings", "position_ids"], ["position"], name="position_gather"),
        helper.make_node("Add", ["word", "position"], ["embedded"], name="embed_add"),
        helper.make_node("MatMul", ["embedded", "head_weight"], ["logits"], name="head"),
        # The same table gathered again straight into a MatMul: it reads the uint8 output as it is.
        helper.make_node("Gather", ["word_embeddings", "input_ids"], ["word_again"], name="direct_gather"),
        helper.make_node("MatMul", ["word_again", "direct_weight"], ["direct"], name="direct_head"),
    ]
    graph = helper.make_graph(
        nodes, "embedding_matmul",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", seq])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", seq, 16]),
         helper.make_tensor_value_info("direct", TensorProto.FLOAT, ["batch", seq, 8]),
         helper.make_tensor_value_info("word", TensorProto.FLOAT, ["batch", seq, dim])],
        [numpy_helper.from_array(v, k) for k, v in tables.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = os.path.join(OUT, "embedding_matmul.onnx")
    onnx.save(model, path)
    ids = rng.integers(0, vocab, size=(4, seq)).astype(np.int64)

    def run(p):
        s = ort.InferenceSession(p, providers=["CPUExecutionProvider"])
        return dict(zip([o.name for o in s.get_outputs()], s.run(None, {"input_ids": ids})))

    q = os.path.join(OUT, "_tmp_q.onnx")
    quantize_dynamic(path, q, weight_type=QuantType.QInt8)
    qm = onnx.load(q)
    inits = {t.name: t for t in qm.graph.initializer}
    ort_tables = {}
    for name in ("word_embeddings", "position_embeddings"):
        values = inits[name + "_quantized"]
        ort_tables[name] = {
            "data_type": values.data_type,
            "dims": list(values.dims),
            "values": numpy_helper.to_array(values).astype(np.int64).ravel().tolist(),
            "scale": float(numpy_helper.to_array(inits[name + "_scale"])),
            "zero_point": int(numpy_helper.to_array(inits[name + "_zero_point"])),
        }
    float_out, ort_out = run(path), run(q)
    extra = {
        # "expected" holds the float model's logits; its "word" is rows of its table, which the test reads.
        "float_direct": float_out["direct"].astype(np.float64).tolist(),
        "ort_outputs": {k: v.astype(np.float64).tolist() for k, v in ort_out.items()},
        "ort_bytes": os.path.getsize(q),
        "ort_tables": ort_tables,
        "ort_nodes": [[n.op_type, n.name, list(n.input), list(n.output)] for n in qm.graph.node],
    }
    os.remove(q)
    save_expected("embedding_matmul", ids, float_out["logits"], **extra)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    which = sys.argv[1:] or ["xgboost", "lightgbm", "onnx", "categorical", "embedding"]
    if "xgboost" in which:
        xgboost_models()
    if "lightgbm" in which:
        lightgbm_models()
    if "onnx" in which:
        onnx_models()
    if "categorical" in which:
        xgboost_categorical()
        lightgbm_categorical()
    if "embedding" in which:
        embedding_model()
