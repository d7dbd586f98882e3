#!/usr/bin/env python3
"""Makes Modelship's test model fixtures, reproducibly.

    python examples/models/make_models.py              # the committed fixtures (targets onnx + trees)
    python examples/models/make_models.py heavy        # generated/heavy_mlp.onnx (~25 MB, gitignored), timed
    python examples/models/make_models.py --check      # rebuild in a temp dir, compare bytes with the files here
    python examples/models/make_models.py onnx trees heavy --out /tmp/models

Every model is made from fixed seeds and written with fixed metadata, so running
the script again gives byte-identical files (checked with --check). Each ONNX file
is checked with onnx.checker and run in ONNX Runtime here; converted models are
compared with the library that trained them, and hand-built graphs with numpy.
Use the venv from scripts/python-env.sh (pins in requirements.txt beside this file).
"""
import os

# One BLAS thread: the sklearn MLP's weights then do not depend on how a
# multi-threaded GEMM splits its sums, and the script stays gentle on shared CPUs.
# Must be set before numpy is imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import filecmp  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent

try:
    import numpy as np
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper, numpy_helper
except ImportError as e:
    raise SystemExit(f"make_models: {e}. Create the pinned venv with `bash scripts/python-env.sh` "
                     "and run this script with .venv/bin/python.")


def unpinned_packages():
    """Installed versions that differ from requirements.txt: other versions give other bytes."""
    from importlib.metadata import PackageNotFoundError, version

    differ = []
    for line in (HERE / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" not in line:
            continue
        name, pinned = line.split("==")
        try:
            installed = version(name.split("[")[0])
        except PackageNotFoundError:
            installed = "missing"
        if installed != pinned:
            differ.append(f"{name} {installed} (pinned {pinned})")
    return differ

# Conservative versions so any recent ONNX Runtime (Java or Python) loads the files:
# opset 17 / ai.onnx.ml 3 / IR 8 are what ONNX 1.12 wrote (ORT >= 1.13 runs them).
OPSET = 17
ML_OPSET = 3
IR_VERSION = 8
PRODUCER = "modelship make_models.py"
PRODUCER_VERSION = "1"

HEAVY_FILE = "generated/heavy_mlp.onnx"


def log(msg):
    print(msg, flush=True)


# --------------------------------------------------------------------------- helpers


def session(model_bytes, threads=1):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(model_bytes, opts, providers=["CPUExecutionProvider"])


def finish(model, doc):
    """Fixed metadata and a full check; returns the serialized bytes."""
    model.doc_string = doc + " Made by examples/models/make_models.py (Modelship test fixture)."
    model.model_version = 1
    model.domain = "dev.modelship.examples"
    if not model.producer_name:
        model.producer_name = PRODUCER
        model.producer_version = PRODUCER_VERSION
    # skl2onnx can list a domain twice (seen: ('', 17) twice for LinearRegression);
    # keep one import per domain, its highest version, in a fixed order.
    versions = {}
    for op in model.opset_import:
        versions[op.domain] = max(versions.get(op.domain, 0), op.version)
    del model.opset_import[:]
    for domain, version in sorted(versions.items()):
        model.opset_import.append(helper.make_opsetid(domain, version))
    onnx.checker.check_model(model, full_check=True)
    return model.SerializeToString()


def write(out, rel, data):
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return rel


def write_npy(out, rel, array):
    path = out / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    # allow_pickle=False: plain numeric .npy (format 1.0) that non-Python readers can parse.
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)
    return rel


def write_json(out, rel, obj):
    return write(out, rel, (json.dumps(obj, indent=2, sort_keys=True) + "\n").encode())


def make_graph_model(nodes, name, inputs, outputs, initializers=(), ml=False):
    graph = helper.make_graph(nodes, name, inputs, outputs, initializer=list(initializers))
    opsets = [helper.make_opsetid("", OPSET)]
    if ml:
        opsets.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    return helper.make_model(graph, opset_imports=opsets, ir_version=IR_VERSION)


def max_abs(a, b):
    return float(np.max(np.abs(np.asarray(a, np.float64) - np.asarray(b, np.float64))))


def require(cond, what):
    if not cond:
        raise SystemExit(f"make_models: check failed: {what}")


def symbolic_batch(model, dim_name="N"):
    """skl2onnx leaves the batch dimension without a name; give it one ("N") so
    every fixture shows the same symbolic batch dimension."""
    for vi in list(model.graph.input) + list(model.graph.output):
        if vi.type.HasField("tensor_type"):
            dims = vi.type.tensor_type.shape.dim
            if dims and not dims[0].HasField("dim_value"):
                dims[0].dim_param = dim_name


# --------------------------------------------------------------------------- sklearn models


def sklearn_models(out):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import train_test_split
    from sklearn.neural_network import MLPClassifier
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType

    files = []
    target_opset = {"": OPSET, "ai.onnx.ml": ML_OPSET}

    # digits MLP: 8x8 images, pixel values 0..16, as 64 float features.
    x, y = load_digits(return_X_y=True)
    x = x.astype(np.float32)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    mlp = MLPClassifier(hidden_layer_sizes=(64,), max_iter=400, random_state=0)
    mlp.fit(x_train, y_train)
    log(f"digits MLP: test accuracy {mlp.score(x_test, y_test):.4f}")
    want_label = mlp.predict(x_test)
    want_proba = mlp.predict_proba(x_test)

    for zipmap, rel in ((False, "digits_mlp.onnx"), (True, "digits_mlp_zipmap.onnx")):
        model = convert_sklearn(
            mlp,
            name="digits_mlp",
            initial_types=[("input", FloatTensorType([None, 64]))],
            target_opset=target_opset,
            options={id(mlp): {"zipmap": zipmap}},
        )
        symbolic_batch(model)
        data = finish(model, "scikit-learn MLPClassifier(64) on load_digits; "
                      + ("ZipMap output (sequence of maps)." if zipmap else "zipmap=False: label + probabilities tensors."))
        sess = session(data)
        label, proba = sess.run(None, {"input": x_test})
        if zipmap:
            # a list of {class: probability} dicts, one per row
            proba = np.array([[row[k] for k in range(10)] for row in proba])
        require(np.array_equal(label, want_label), f"{rel}: labels differ from sklearn")
        err = max_abs(proba, want_proba)
        log(f"  {rel}: labels equal sklearn on {len(x_test)} rows; probabilities max abs error {err:.2e}")
        require(err < 1e-5, f"{rel}: probabilities differ from sklearn by {err}")
        files.append(write(out, rel, data))

    # A ready-made V2 request and sklearn's answer for it (tests, README curl example).
    rows = x_test[:3]
    files.append(write_json(out, "digits_mlp.request.json", {
        "inputs": [{"name": "input", "datatype": "FP32", "shape": list(rows.shape),
                    "data": [float(v) for v in rows.ravel()]}]}))
    files.append(write_json(out, "digits_mlp.expected.json", {
        "label": [int(v) for v in want_label[:3]],
        "probabilities": [[round(float(p), 7) for p in row] for row in want_proba[:3]],
        "note": "scikit-learn's predict / predict_proba (float64, rounded to 7 digits) for digits_mlp.request.json",
    }))

    # linear regression: y = x . w + 3 + noise, 8 features.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(500, 8)).astype(np.float32)
    w = np.arange(1, 9, dtype=np.float32) / 4.0
    y = x @ w + 3.0 + rng.normal(scale=0.1, size=500)
    reg = LinearRegression().fit(x, y)
    model = convert_sklearn(reg, name="linear_regressor",
                            initial_types=[("input", FloatTensorType([None, 8]))], target_opset=target_opset)
    symbolic_batch(model)
    data = finish(model, "scikit-learn LinearRegression on 8 synthetic features.")
    x_check = rng.normal(size=(64, 8)).astype(np.float32)
    (pred,) = session(data).run(None, {"input": x_check})
    require(pred.shape == (64, 1), f"linear_regressor output shape {pred.shape}")
    err = max_abs(pred[:, 0], reg.predict(x_check))
    log(f"  linear_regressor.onnx: max abs error vs sklearn {err:.2e} (64 rows)")
    require(err < 1e-4, f"linear_regressor differs from sklearn by {err}")
    files.append(write(out, "linear_regressor.onnx", data))
    return files


# --------------------------------------------------------------------------- hand-built graphs


def multi_io(out):
    f, i64 = TensorProto.FLOAT, TensorProto.INT64
    nodes = [
        helper.make_node("Cast", ["b"], ["b_float"], to=f),
        helper.make_node("Add", ["a", "b_float"], ["sum"]),
        helper.make_node("Mul", ["b", "two"], ["b_times_2"]),
        helper.make_node("Greater", ["a", "b_float"], ["a_greater_b"]),
        helper.make_node("Cast", ["a"], ["a_as_fp64"], to=TensorProto.DOUBLE),
        helper.make_node("Cast", ["b"], ["b_as_int32"], to=TensorProto.INT32),
        helper.make_node("ReduceSum", ["a", "axis1"], ["a_row_sum"], keepdims=0),
    ]
    model = make_graph_model(
        nodes, "multi_io",
        [helper.make_tensor_value_info("a", f, ["N", 4]), helper.make_tensor_value_info("b", i64, ["N", 4])],
        [helper.make_tensor_value_info("sum", f, ["N", 4]),
         helper.make_tensor_value_info("b_times_2", i64, ["N", 4]),
         helper.make_tensor_value_info("a_greater_b", TensorProto.BOOL, ["N", 4]),
         helper.make_tensor_value_info("a_as_fp64", TensorProto.DOUBLE, ["N", 4]),
         helper.make_tensor_value_info("b_as_int32", TensorProto.INT32, ["N", 4]),
         helper.make_tensor_value_info("a_row_sum", f, ["N"])],
        [numpy_helper.from_array(np.array(2, np.int64), "two"),
         numpy_helper.from_array(np.array([1], np.int64), "axis1")],
    )
    data = finish(model, "Two inputs (a FP32, b INT64), six outputs of five datatypes.")
    rng = np.random.default_rng(2)
    a = rng.normal(scale=3, size=(5, 4)).astype(np.float32)
    b = rng.integers(-5, 5, size=(5, 4)).astype(np.int64)
    got = dict(zip([o.name for o in model.graph.output], session(data).run(None, {"a": a, "b": b})))
    want = {"sum": a + b.astype(np.float32), "b_times_2": b * 2, "a_greater_b": a > b,
            "a_as_fp64": a.astype(np.float64), "b_as_int32": b.astype(np.int32), "a_row_sum": a.sum(axis=1)}
    for name, value in want.items():
        require(got[name].dtype == value.dtype and got[name].shape == value.shape, f"multi_io {name} type/shape")
        require(np.allclose(got[name], value, rtol=0, atol=1e-5), f"multi_io {name} values")
    log("  multi_io.onnx: 6 outputs equal numpy")
    return [write(out, "multi_io.onnx", data)]


# Every V2 datatype ONNX Runtime accepts as a tensor, with its ONNX and numpy types.
V2_TYPES = [
    ("BOOL", TensorProto.BOOL, np.bool_),
    ("INT8", TensorProto.INT8, np.int8),
    ("INT16", TensorProto.INT16, np.int16),
    ("INT32", TensorProto.INT32, np.int32),
    ("INT64", TensorProto.INT64, np.int64),
    ("UINT8", TensorProto.UINT8, np.uint8),
    ("UINT16", TensorProto.UINT16, np.uint16),
    ("UINT32", TensorProto.UINT32, np.uint32),
    ("UINT64", TensorProto.UINT64, np.uint64),
    ("FP16", TensorProto.FLOAT16, np.float16),
    ("FP32", TensorProto.FLOAT, np.float32),
    ("FP64", TensorProto.DOUBLE, np.float64),
    ("BYTES", TensorProto.STRING, object),
]


def sample_of(v2, np_type, shape):
    """Values that reach each type's extremes, so a codec that narrows or sign-flips shows it."""
    n = int(np.prod(shape))
    if v2 == "BYTES":
        pool = ["", "a", "héllo", "with space", "0", "\u2603"]
        return np.array([pool[i % len(pool)] for i in range(n)], dtype=object).reshape(shape)
    if v2 == "BOOL":
        return (np.arange(n) % 3 == 0).reshape(shape)
    if np.issubdtype(np_type, np.integer):
        info = np.iinfo(np_type)
        pool = np.array([info.min, info.max, 0, 1], dtype=np_type)
        return np.resize(pool, n).reshape(shape)
    info = np.finfo(np_type)
    pool = np.array([info.min, info.max, -0.0, 1.5, info.tiny, np.inf, -np.inf], dtype=np_type)
    return np.resize(pool, n).reshape(shape)


# ONNX Runtime's Java API has no tensors of these three, so the Java server refuses a
# model that declares them; unsigned_wide.onnx shows that refusal.
JAVA_UNSUPPORTED = ("UINT16", "UINT32", "UINT64")


def identity_model(out, file, types, doc):
    nodes, inputs, outputs = [], [], []
    for v2, onnx_type, _ in types:
        # Independent symbolic dims per input: every input may have its own shape.
        dims = [f"{v2.lower()}_0", f"{v2.lower()}_1"]
        inputs.append(helper.make_tensor_value_info(f"x_{v2}", onnx_type, dims))
        outputs.append(helper.make_tensor_value_info(f"y_{v2}", onnx_type, dims))
        nodes.append(helper.make_node("Identity", [f"x_{v2}"], [f"y_{v2}"]))
    model = make_graph_model(nodes, file.removesuffix(".onnx"), inputs, outputs)
    data = finish(model, doc)
    feeds = {f"x_{v2}": sample_of(v2, t, (2, 3)) for v2, _, t in types}
    got = session(data).run(None, feeds)
    for (v2, _, np_type), value in zip(types, got):
        sent = feeds[f"x_{v2}"]
        same = (list(value.ravel()) == list(sent.ravel())) if v2 == "BYTES" else np.array_equal(value, sent)
        require(same and value.shape == sent.shape, f"{file} {v2} round trip")
    log(f"  {file}: {len(types)} datatypes round-trip unchanged")
    return [write(out, file, data)]


def all_types(out):
    served = [t for t in V2_TYPES if t[0] not in JAVA_UNSUPPORTED]
    wide = [t for t in V2_TYPES if t[0] in JAVA_UNSUPPORTED]
    return (identity_model(out, "all_types.onnx", served,
                           "Identity x_<TYPE> -> y_<TYPE> for every V2 datatype the server takes; all inputs required.")
            + identity_model(out, "unsigned_wide.onnx", wide,
                             "Identity for UINT16, UINT32, UINT64, which ONNX Runtime's Java API cannot carry."))


ANIMALS = [("cat", 0, "mammal"), ("dog", 1, "mammal"), ("bird", 2, "bird"), ("fish", 3, "fish")]


def string_input(out):
    ml = "ai.onnx.ml"
    keys = [k for k, _, _ in ANIMALS]
    nodes = [
        helper.make_node("LabelEncoder", ["animal"], ["animal_id"], domain=ml,
                         keys_strings=keys, values_int64s=[v for _, v, _ in ANIMALS], default_int64=-1),
        helper.make_node("LabelEncoder", ["animal"], ["animal_class"], domain=ml,
                         keys_strings=keys, values_strings=[c for _, _, c in ANIMALS], default_string="unknown"),
        helper.make_node("Equal", ["animal_id", "minus_one"], ["unknown"]),
        helper.make_node("Not", ["unknown"], ["known"]),
    ]
    model = make_graph_model(
        nodes, "string_input",
        [helper.make_tensor_value_info("animal", TensorProto.STRING, ["N"])],
        [helper.make_tensor_value_info("animal_id", TensorProto.INT64, ["N"]),
         helper.make_tensor_value_info("animal_class", TensorProto.STRING, ["N"]),
         helper.make_tensor_value_info("known", TensorProto.BOOL, ["N"])],
        [numpy_helper.from_array(np.array(-1, np.int64), "minus_one")],
        ml=True,
    )
    data = finish(model, "STRING (V2 BYTES) input animal mapped by ai.onnx.ml LabelEncoder; "
                  "cat=0 dog=1 bird=2 fish=3, anything else -1 / 'unknown'.")
    sent = np.array(["dog", "cat", "zebra", "fish", "", "bird", "Cat"], dtype=object)
    animal_id, animal_class, known = session(data).run(None, {"animal": sent})
    table = {k: (v, c) for k, v, c in ANIMALS}
    require(list(animal_id) == [table.get(s, (-1, ""))[0] for s in sent], "string_input ids")
    require(list(animal_class) == [table.get(s, (0, "unknown"))[1] for s in sent], "string_input classes")
    require(list(known) == [s in table for s in sent], "string_input known")
    log("  string_input.onnx: ids, classes and known flags as expected (case-sensitive)")
    return [write(out, "string_input.onnx", data)]


def string_numbers(out):
    """Numbers sent as text: a model that ONNX Runtime cannot run on an empty string, so a warm-up
    with generated inputs (empty strings) fails while every real request works."""
    model = make_graph_model(
        [helper.make_node("Cast", ["text"], ["value"], to=TensorProto.FLOAT),
         helper.make_node("Mul", ["value", "two"], ["doubled"])],
        "string_numbers",
        [helper.make_tensor_value_info("text", TensorProto.STRING, ["N", 1])],
        [helper.make_tensor_value_info("doubled", TensorProto.FLOAT, ["N", 1])],
        [numpy_helper.from_array(np.array(2.0, np.float32), "two")],
    )
    data = finish(model, "STRING (V2 BYTES) input text [N, 1] holding numbers, cast to FP32 and doubled; "
                  "an empty string cannot be cast.")
    (doubled,) = session(data).run(None, {"text": np.array([["1.5"], ["-4"]], dtype=object)})
    require(doubled.tolist() == [[3.0], [-8.0]], "string_numbers doubles")
    try:
        session(data).run(None, {"text": np.array([[""]], dtype=object)})
        require(False, "string_numbers refuses an empty string")
    except ort.capi.onnxruntime_pybind11_state.RuntimeException:
        pass
    log("  string_numbers.onnx: numbers in text doubled; an empty string refused by ONNX Runtime")
    return [write(out, "string_numbers.onnx", data)]


# One small per-row function, used with a dynamic and a fixed batch dimension.
BATCH_W = np.array([[1.0, 0.5, -1.0], [2.0, 0.0, 1.0], [-0.5, 1.0, 0.25], [0.0, -2.0, 3.0]], np.float32)
BATCH_B = np.array([0.1, -0.2, 0.3], np.float32)


def batch_models(out):
    files = []
    for rel, batch in (("dynamic_batch.onnx", "N"), ("fixed_batch.onnx", 1)):
        nodes = [helper.make_node("MatMul", ["x", "W"], ["xw"]), helper.make_node("Add", ["xw", "B"], ["y"])]
        model = make_graph_model(
            nodes, rel[:-5],
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch, 4])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch, 3])],
            [numpy_helper.from_array(BATCH_W, "W"), numpy_helper.from_array(BATCH_B, "B")],
        )
        kind = "dynamic batch dimension N" if batch == "N" else "fixed shape [1,4]"
        data = finish(model, f"y = x @ W + b, x FP32 [{batch},4] -> y FP32 [{batch},3]; {kind}. "
                      "Rows are independent, so batched results equal unbatched ones.")
        rows = 5 if batch == "N" else 1
        x = np.random.default_rng(3).normal(size=(rows, 4)).astype(np.float32)
        (y,) = session(data).run(None, {"x": x})
        err = max_abs(y, x.astype(np.float64) @ BATCH_W + BATCH_B)
        require(err < 1e-5, f"{rel} differs from numpy by {err}")
        log(f"  {rel}: max abs error vs numpy {err:.2e} ({rows} rows)")
        files.append(write(out, rel, data))
    try:  # the fixed model must refuse a batch of 2
        session((out / "fixed_batch.onnx").read_bytes()).run(None, {"x": np.zeros((2, 4), np.float32)})
        require(False, "fixed_batch.onnx accepted a [2,4] input")
    except Exception as e:  # onnxruntime raises its own InvalidArgument type
        require("dimension" in str(e).lower() or "shape" in str(e).lower(), f"fixed_batch error: {e}")
    return files


# --------------------------------------------------------------------------- heavy model


HEAVY_WIDTH = 1024
HEAVY_LAYERS = 6


def heavy_mlp(out):
    rng = np.random.default_rng(4)
    inits, nodes, prev = [], [], "x"
    for i in range(HEAVY_LAYERS):
        # He-scaled weights keep activations of order 1 through the ReLUs.
        w = (rng.standard_normal((HEAVY_WIDTH, HEAVY_WIDTH)) * np.sqrt(2.0 / HEAVY_WIDTH)).astype(np.float32)
        b = (rng.standard_normal(HEAVY_WIDTH) * 0.01).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"W{i}"), numpy_helper.from_array(b, f"B{i}")]
        nodes += [helper.make_node("MatMul", [prev, f"W{i}"], [f"mm{i}"]),
                  helper.make_node("Add", [f"mm{i}", f"B{i}"], [f"pre{i}"]),
                  helper.make_node("Relu", [f"pre{i}"], [f"h{i}"])]
        prev = f"h{i}"
    w = (rng.standard_normal((HEAVY_WIDTH, 10)) * np.sqrt(1.0 / HEAVY_WIDTH)).astype(np.float32)
    inits.append(numpy_helper.from_array(w, "Wout"))
    nodes.append(helper.make_node("MatMul", [prev, "Wout"], ["logits"]))
    model = make_graph_model(
        nodes, "heavy_mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", HEAVY_WIDTH])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["N", 10])], inits)
    data = finish(model, f"{HEAVY_LAYERS} x (MatMul {HEAVY_WIDTH}x{HEAVY_WIDTH} + Add + Relu) then MatMul to 10; "
                  "random fixed-seed weights; for throughput benchmarks.")

    x = np.random.default_rng(5).standard_normal((32, HEAVY_WIDTH)).astype(np.float32)
    h = x.astype(np.float64)
    for i in range(HEAVY_LAYERS):
        h = np.maximum(h @ numpy_helper.to_array(inits[2 * i]) + numpy_helper.to_array(inits[2 * i + 1]), 0)
    want = h @ w
    (got,) = session(data).run(None, {"x": x})
    err = max_abs(got, want)
    log(f"  heavy_mlp.onnx: max abs error vs numpy (float64) {err:.2e}; logits magnitude {np.abs(want).max():.1f}")
    require(err < 1e-3, f"heavy_mlp differs from numpy by {err}")

    # How long one batch takes in ONNX Runtime here (median of 30 runs after warm-up).
    # The benchmarks need a batch of 8-32 rows to take >= 1 ms; machine-dependent, so
    # this prints rather than fails.
    for threads in (1, 2):
        sess = session(data, threads=threads)
        cells = []
        for batch in (1, 8, 16, 32):
            feed = {"x": x[:batch]}
            for _ in range(5):
                sess.run(None, feed)
            times = []
            for _ in range(30):
                t0 = time.perf_counter()
                sess.run(None, feed)
                times.append(time.perf_counter() - t0)
            median = statistics.median(times)
            cells.append(f"batch {batch}: {median * 1e3:.2f} ms")
            if batch == 8 and median < 1e-3:
                cells[-1] += " (under 1 ms!)"
        log(f"  heavy_mlp.onnx, ONNX Runtime {ort.__version__}, {threads} intra-op thread(s): " + ", ".join(cells))
    return [write(out, HEAVY_FILE, data)]


# --------------------------------------------------------------------------- tree models


def tabular(seed, task, n_classes=2, n_features=10, n_train=1000, n_test=200, nan_train=0.0):
    """Synthetic rows (float32). The held-out rows always include NaNs: the first
    40 have cells missing at random and row 0 is missing entirely."""
    from sklearn.datasets import make_classification, make_regression

    n = n_train + n_test
    if task == "regression":
        x, y = make_regression(n_samples=n, n_features=n_features, n_informative=6, noise=5.0, random_state=seed)
    else:
        x, y = make_classification(n_samples=n, n_features=n_features, n_informative=6, n_redundant=2,
                                   n_classes=n_classes, random_state=seed)
    x = x.astype(np.float32)
    rng = np.random.default_rng(seed)
    x_train, y_train, x_test = x[:n_train].copy(), y[:n_train], x[n_train:].copy()
    if nan_train:
        # Missing values in the first four features only, so the model learns default
        # directions for them while the others never saw a NaN in training.
        mask = rng.random((n_train, 4)) < nan_train
        x_train[:, :4][mask] = np.nan
    mask = rng.random((40, n_features)) < 0.3
    x_test[:40][mask] = np.nan
    x_test[0, :] = np.nan
    return x_train, y_train, x_test


TREE_ROUNDS = 30


def xgboost_models(out):
    import xgboost as xgb

    files, index = [], []
    base = {"tree_method": "hist", "max_depth": 5, "eta": 0.3, "seed": 0, "nthread": 1}
    specs = [
        # name, objective, task, classes, rounds, nan share in training, extra params
        ("xgb_regression", "reg:squarederror", "regression", 0, TREE_ROUNDS, 0.0, {}),
        ("xgb_binary_logistic", "binary:logistic", "binary", 2, TREE_ROUNDS, 0.0, {}),
        ("xgb_multi_softprob", "multi:softprob", "multiclass", 4, 20, 0.0, {"max_depth": 4}),
        ("xgb_multi_softmax", "multi:softmax", "multiclass", 4, 20, 0.0, {"max_depth": 4}),
        ("xgb_missing", "binary:logistic", "binary", 2, TREE_ROUNDS, 0.15, {}),
    ]
    for seed, (name, objective, task, classes, rounds, nan_train, extra) in enumerate(specs, start=10):
        x_train, y_train, x_test = tabular(seed, task if task == "regression" else "classification",
                                           n_classes=max(classes, 2), nan_train=nan_train)
        params = dict(base, objective=objective, **extra)
        if task == "multiclass":
            params["num_class"] = classes
        booster = xgb.train(params, xgb.DMatrix(x_train, label=y_train), num_boost_round=rounds)
        dtest = xgb.DMatrix(x_test)
        files += save_xgb(out, name, booster, x_test, dtest, ubj=name in ("xgb_regression", "xgb_multi_softprob"))
        index.append(tree_entry(name, "xgboost", xgb.__version__, objective, x_test, classes, rounds,
                                nan_train, "ubj" if name in ("xgb_regression", "xgb_multi_softprob") else None))

    # Categorical splits: feature 0 has 8 categories (more than max_cat_to_onehot, so
    # partition splits with category sets), feature 1 has 3 (one-hot style splits).
    name = "xgb_categorical"
    rng = np.random.default_rng(20)
    n = 1200
    cat8, cat3 = rng.integers(0, 8, n), rng.integers(0, 3, n)
    num = rng.normal(size=(n, 4))
    effect8 = np.array([3.0, -1.0, 0.5, 2.0, -2.5, 0.0, 1.5, -0.5])
    y = effect8[cat8] + np.array([1.0, -1.0, 0.0])[cat3] + num[:, 0] - 0.5 * num[:, 1] + rng.normal(scale=0.1, size=n)
    x = np.column_stack([cat8, cat3, num]).astype(np.float32)
    x_train, y_train, x_test = x[:1000], y[:1000], x[1000:].copy()
    x_test[:40][rng.random((40, 6)) < 0.3] = np.nan
    x_test[0, :] = np.nan
    feature_types = ["c", "c", "q", "q", "q", "q"]
    params = dict(base, objective="reg:squarederror", max_cat_to_onehot=4)
    booster = xgb.train(params, xgb.DMatrix(x_train, label=y_train, feature_types=feature_types,
                                            enable_categorical=True), num_boost_round=TREE_ROUNDS)
    dtest = xgb.DMatrix(x_test, feature_types=feature_types, enable_categorical=True)
    files += save_xgb(out, name, booster, x_test, dtest, ubj=False)
    entry = tree_entry(name, "xgboost", xgb.__version__, "reg:squarederror", x_test, 0, TREE_ROUNDS, 0.0, None)
    entry["categorical_features"] = {"0": 8, "1": 3}
    entry["note"] = "features 0 and 1 are categorical (codes 0..7 and 0..2 as float); trained with enable_categorical"
    tree = json.loads(booster.save_raw("json"))["learner"]["gradient_booster"]["model"]["trees"]
    require(any(1 in t["split_type"] for t in tree), "xgb_categorical has no categorical split")
    index.append(entry)
    return files, index


def save_xgb(out, name, booster, x_test, dtest, ubj):
    import xgboost as xgb

    files = []
    raw = booster.save_raw("json")
    files.append(write(out, f"trees/{name}.json", bytes(raw)))
    if ubj:
        files.append(write(out, f"trees/{name}.ubj", bytes(booster.save_raw("ubj"))))
    expected = booster.predict(dtest)
    margin = booster.predict(dtest, output_margin=True)
    # The saved file, loaded back, must predict exactly what the trained booster did.
    for ext in (["json", "ubj"] if ubj else ["json"]):
        again = xgb.Booster(model_file=str(out / f"trees/{name}.{ext}"))
        require(np.array_equal(again.predict(dtest), expected), f"{name}.{ext} reloaded predicts differently")
    files.append(write_npy(out, f"trees/{name}.inputs.npy", x_test.astype(np.float32)))
    files.append(write_npy(out, f"trees/{name}.expected.npy", expected.astype(np.float64)))
    files.append(write_npy(out, f"trees/{name}.margin.npy", margin.astype(np.float64)))
    log(f"  trees/{name}: expected {expected.shape}, {int(np.isnan(x_test).any(axis=1).sum())} rows with NaN")
    return files


def tree_entry(name, library, version, objective, x_test, classes, rounds, nan_train, extra_format):
    formats = ["json" if library == "xgboost" else "txt"] + ([extra_format] if extra_format else [])
    if library == "xgboost":
        expected = {"reg:squarederror": "predict(): the prediction, shape [rows]",
                    "binary:logistic": "predict(): probability of class 1, shape [rows]",
                    "multi:softprob": "predict(): class probabilities, shape [rows, classes]",
                    "multi:softmax": "predict(): predicted class index as a float, shape [rows]"}[objective]
        margin = "predict(output_margin=True): raw score incl. base_score, " + (
            "shape [rows, classes]" if objective.startswith("multi") else "shape [rows]")
    else:
        expected = {"regression": "predict(): the prediction, shape [rows]",
                    "binary": "predict(): probability of class 1, shape [rows]",
                    "multiclass": "predict(): class probabilities, shape [rows, classes]"}[objective]
        margin = "predict(raw_score=True): raw score, " + (
            "shape [rows, classes]" if objective == "multiclass" else "shape [rows]")
    return {
        "name": name, "library": library, "library_version": version, "objective": objective,
        "model_files": [f"{name}.{ext}" for ext in formats],
        "inputs": f"{name}.inputs.npy", "expected": f"{name}.expected.npy", "margin": f"{name}.margin.npy",
        "rows": int(x_test.shape[0]), "features": int(x_test.shape[1]), "classes": classes,
        "rounds": rounds, "nan_share_in_training": nan_train,
        "rows_with_nan": int(np.isnan(x_test).any(axis=1).sum()),
        "expected_is": expected, "margin_is": margin,
    }


def lightgbm_models(out):
    import lightgbm as lgb

    files, index = [], []
    base = {"num_leaves": 31, "max_depth": 6, "learning_rate": 0.1, "min_data_in_leaf": 20, "seed": 0,
            "deterministic": True, "force_col_wise": True, "num_threads": 1, "verbose": -1}
    specs = [
        ("lgb_regression", "regression", 0, {}),
        ("lgb_binary", "binary", 2, {}),
        ("lgb_multiclass", "multiclass", 4, {}),
        # zero_as_missing: zeros and NaNs both count as missing (the "Zero" missing type).
        ("lgb_binary_zero_as_missing", "binary", 2, {"zero_as_missing": True}),
    ]
    for seed, (name, objective, classes, extra) in enumerate(specs, start=30):
        x_train, y_train, x_test = tabular(seed, "regression" if objective == "regression" else "classification",
                                           n_classes=max(classes, 2), nan_train=0.15)
        if extra.get("zero_as_missing"):
            # Make real zeros common in features 4 and 5 (train and test) so zero-as-missing matters.
            for arr in (x_train, x_test):
                arr[:, 4:6][np.abs(arr[:, 4:6]) < 0.5] = 0.0
        params = dict(base, objective=objective, **extra)
        if classes > 2:
            params["num_class"] = classes
        booster = lgb.train(params, lgb.Dataset(x_train, label=y_train), num_boost_round=TREE_ROUNDS)
        path = out / f"trees/{name}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        booster.save_model(str(path))
        files.append(f"trees/{name}.txt")
        expected = booster.predict(x_test)
        margin = booster.predict(x_test, raw_score=True)
        again = lgb.Booster(model_file=str(path))
        require(np.array_equal(again.predict(x_test), expected), f"{name}.txt reloaded predicts differently")
        files.append(write_npy(out, f"trees/{name}.inputs.npy", x_test.astype(np.float32)))
        files.append(write_npy(out, f"trees/{name}.expected.npy", np.asarray(expected, np.float64)))
        files.append(write_npy(out, f"trees/{name}.margin.npy", np.asarray(margin, np.float64)))
        log(f"  trees/{name}: expected {expected.shape}, {int(np.isnan(x_test).any(axis=1).sum())} rows with NaN")
        entry = tree_entry(name, "lightgbm", lgb.__version__, objective, x_test, classes, TREE_ROUNDS, 0.15, None)
        if extra:
            entry["params"] = extra
        index.append(entry)
    return files, index


def tree_models(out):
    xgb_files, xgb_index = xgboost_models(out)
    lgb_files, lgb_index = lightgbm_models(out)
    index = {
        "note": "Made by examples/models/make_models.py. Inputs are float32 [rows, features] .npy; "
                "expected and margin are float64 .npy of the original library's own predictions.",
        "models": xgb_index + lgb_index,
    }
    return xgb_files + lgb_files + [write_json(out, "trees/index.json", index)]


# --------------------------------------------------------------------------- main


TARGETS = ("onnx", "trees", "heavy")


def build(out, targets):
    files = []
    if "onnx" in targets:
        log("sklearn models (skl2onnx):")
        files += sklearn_models(out)
        log("hand-built ONNX graphs:")
        files += multi_io(out) + all_types(out) + string_input(out) + string_numbers(out) + batch_models(out)
    if "trees" in targets:
        log("tree models:")
        files += tree_models(out)
    if "heavy" in targets:
        log("heavy model:")
        files += heavy_mlp(out)
    return files


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=HERE, help="output directory (default: beside this script)")
    # No argparse `choices` here: with nargs="*" it rejects the list default.
    parser.add_argument("targets", nargs="*", default=["onnx", "trees"], metavar="{onnx,trees,heavy}",
                        help=f"what to build (default: onnx trees). heavy: {HEAVY_FILE}, ~25 MB, gitignored, "
                             "timed in ONNX Runtime")
    parser.add_argument("--check", action="store_true",
                        help="rebuild into a temporary directory and compare with the files in --out; "
                             "exit 1 if any differs")
    args = parser.parse_args()
    unknown = sorted(set(args.targets) - set(TARGETS))
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    warnings.filterwarnings("ignore", category=FutureWarning)
    log(f"versions: numpy {np.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}")
    differ = unpinned_packages()
    if differ:
        log("WARNING: not the pinned versions, files will differ from the committed ones: " + ", ".join(differ))

    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            files = build(Path(tmp), args.targets)
            bad = [f for f in files if not (args.out / f).is_file()
                   or not filecmp.cmp(Path(tmp) / f, args.out / f, shallow=False)]
        if bad:
            log("differ from a fresh build: " + ", ".join(bad))
            return 1
        log(f"all {len(files)} files in {args.out} equal a fresh build")
        return 0

    files = build(args.out, args.targets)
    width = max(len(f) for f in files)
    log("")
    log(f"{'file':<{width}}  {'bytes':>9}  sha256")
    for f in files:
        path = args.out / f
        log(f"{f:<{width}}  {path.stat().st_size:>9}  {sha256(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
