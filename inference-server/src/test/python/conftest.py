"""Shared pieces of the client compatibility suites.

The servers are started by ClientCompatibilityIT (one packaged server process per
model), which passes their addresses as environment variables:

    MODELSHIP_<MODEL>_HTTP  host:port of the REST endpoint, e.g. MODELSHIP_DIGITS_MLP_HTTP
    MODELSHIP_<MODEL>_GRPC  host:port of the gRPC endpoint

A missing variable fails the test (it is never skipped). Every expected value here
comes from outside the server: scikit-learn's own predictions (digits_mlp.expected.json),
ONNX Runtime run in this process, numpy, or the lookup table the model was built from.
"""

import contextlib
import json
import os
import pathlib

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parents[4]
MODELS = pathlib.Path(os.environ.get("MODELSHIP_MODELS_DIR", REPO / "examples" / "models"))

# Model names as the server reports them (the file name without .onnx).
DIGITS = "digits_mlp"
MULTI_IO = "multi_io"
STRING_INPUT = "string_input"
# fixed_batch.onnx: x FP32 [1,4] -> y FP32 [1,3], no dynamic dimension at all.
FIXED_BATCH = "fixed_batch"
# The model with one Identity per datatype; its file is chosen by the IT.
TYPES_MODEL_ENV = "MODELSHIP_TYPES_MODEL"

# string_input.onnx: the lookup table it was built from (examples/models/README.md).
ANIMALS = {"cat": (0, "mammal"), "dog": (1, "mammal"), "bird": (2, "bird"), "fish": (3, "fish")}


def endpoint(model, protocol):
    key = f"MODELSHIP_{model.upper()}_{protocol.upper()}"
    value = os.environ.get(key)
    if not value:
        pytest.fail(f"{key} is not set; ClientCompatibilityIT starts the servers and sets it (host:port)",
                    pytrace=False)
    return value


def types_model():
    name = os.environ.get(TYPES_MODEL_ENV)
    if not name:
        pytest.fail(f"{TYPES_MODEL_ENV} is not set; ClientCompatibilityIT sets it", pytrace=False)
    return name


@pytest.fixture(scope="session")
def digits_rows():
    """The three test rows of digits_mlp.request.json as a float32 [3, 64] array."""
    request = json.loads((MODELS / "digits_mlp.request.json").read_text())
    (only,) = request["inputs"]
    rows = np.asarray(only["data"], dtype=np.float32).reshape(only["shape"])
    assert rows.shape == (3, 64)
    return rows


@pytest.fixture(scope="session")
def digits_expected():
    """scikit-learn's predict / predict_proba for those rows."""
    expected = json.loads((MODELS / "digits_mlp.expected.json").read_text())
    return np.asarray(expected["label"], dtype=np.int64), np.asarray(expected["probabilities"], dtype=np.float64)


@pytest.fixture(scope="session")
def digits_reference():
    """digits_mlp.onnx run in this process by the onnxruntime wheel: f(rows) -> (labels, probabilities)."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(MODELS / "digits_mlp.onnx"), providers=["CPUExecutionProvider"])

    def run(rows):
        labels, probabilities = session.run(["label", "probabilities"], {"input": rows})
        return labels, probabilities

    return run


@pytest.fixture(scope="session")
def random_digit_rows():
    """32 rows of pixels 0..16, seeded, unlike any training image."""
    return np.random.default_rng(7).integers(0, 17, size=(32, 64)).astype(np.float32)


@pytest.fixture(scope="session")
def multi_io_inputs():
    """Inputs for multi_io.onnx and what numpy says each output must be."""
    rng = np.random.default_rng(11)
    a = rng.normal(scale=4, size=(3, 4)).astype(np.float32)
    b = rng.integers(-6, 6, size=(3, 4)).astype(np.int64)
    a[0, 0], b[0, 0] = 2.0, 2  # a tie: a > b must be False there
    expected = {
        "sum": a + b.astype(np.float32),
        "b_times_2": b * 2,
        "a_greater_b": a > b.astype(np.float32),
        "a_as_fp64": a.astype(np.float64),
        "b_as_int32": b.astype(np.int32),
        "a_row_sum": a.sum(axis=1, dtype=np.float32),
    }
    return a, b, expected


def assert_output(name, got, want):
    """Same dtype, same shape, and values equal (floating point within 1e-5)."""
    got = np.asarray(got)
    assert got.dtype == want.dtype, f"{name}: dtype {got.dtype}, expected {want.dtype}"
    assert got.shape == want.shape, f"{name}: shape {got.shape}, expected {want.shape}"
    if np.issubdtype(want.dtype, np.floating):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-5, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def animals_expected(animals):
    ids = np.array([ANIMALS.get(a, (-1, None))[0] for a in animals], dtype=np.int64)
    classes = [ANIMALS.get(a, (None, "unknown"))[1] for a in animals]
    known = np.array([a in ANIMALS for a in animals], dtype=np.bool_)
    return ids, classes, known


# Sample values per V2 datatype for the Identity-per-type model: each type's extremes.
def type_sample(datatype, shape):
    n = int(np.prod(shape))
    if datatype == "BYTES":
        pool = [b"", b"a", "h\u00e9llo".encode(), b"with space", "\u2603".encode(), b"nul\x00inside"]
        return np.array([pool[i % len(pool)] for i in range(n)], dtype=np.object_).reshape(shape)
    if datatype == "BOOL":
        return (np.arange(n) % 3 == 0).reshape(shape)
    np_type = {"INT8": np.int8, "INT16": np.int16, "INT32": np.int32, "INT64": np.int64, "UINT8": np.uint8,
               "UINT16": np.uint16, "UINT32": np.uint32, "UINT64": np.uint64, "FP16": np.float16,
               "FP32": np.float32, "FP64": np.float64}[datatype]
    if np.issubdtype(np_type, np.integer):
        info = np.iinfo(np_type)
        pool = np.array([info.min, info.max, 0, 1, -1 if info.min < 0 else 7], dtype=np_type)
    else:
        info = np.finfo(np_type)
        pool = np.array([info.min, info.max, -0.0, 1.5, info.tiny, np.inf, -np.inf, 0.1], dtype=np_type)
    return np.resize(pool, n).reshape(shape)


def assert_identity(datatype, got, sent):
    got = np.asarray(got)
    assert got.shape == sent.shape, f"{datatype}: shape {got.shape}, expected {sent.shape}"
    if datatype == "BYTES":
        assert [bytes(v) for v in got.ravel()] == list(sent.ravel()), datatype
    else:
        assert got.dtype == sent.dtype, f"{datatype}: dtype {got.dtype}, expected {sent.dtype}"
        # Bit for bit: -0.0, infinities and the extremes must survive the trip.
        assert got.tobytes() == sent.tobytes(), f"{datatype}: {got.ravel()} != {sent.ravel()}"


# ---- Triton's extensions: what the model files say, and statistics arithmetic ----------------

# The server's default batching limit (modelship.batching.max-batch-size); the IT does not change it.
# Triton's max_batch_size for a model whose every input and output has an open first dimension.
DEFAULT_MAX_BATCH_SIZE = 32

# ONNX element type name -> Triton model configuration DataType (model_config.proto).
ONNX_TO_TRITON = {"FLOAT": "TYPE_FP32", "DOUBLE": "TYPE_FP64", "FLOAT16": "TYPE_FP16", "BFLOAT16": "TYPE_BF16",
                  "INT8": "TYPE_INT8", "INT16": "TYPE_INT16", "INT32": "TYPE_INT32", "INT64": "TYPE_INT64",
                  "UINT8": "TYPE_UINT8", "UINT16": "TYPE_UINT16", "UINT32": "TYPE_UINT32", "UINT64": "TYPE_UINT64",
                  "BOOL": "TYPE_BOOL", "STRING": "TYPE_STRING"}


def model_file_config(model):
    """What Triton's configuration of the model must say, read from the .onnx file with the onnx package:
    {"max_batch_size": n, "input": [(name, TYPE_x, dims)], "output": [...]}. Triton's rule: when every
    input and output has an open first dimension, that dimension is the batch (max_batch_size > 0) and
    dims leave it out; otherwise max_batch_size is 0 and dims are the full shape. Open dims are -1."""
    import onnx

    graph = onnx.load(str(MODELS / f"{model}.onnx")).graph
    initializers = {i.name for i in graph.initializer}

    def spec(value):
        t = value.type.tensor_type
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in t.shape.dim]
        return value.name, ONNX_TO_TRITON[onnx.TensorProto.DataType.Name(t.elem_type)], dims

    inputs = [spec(v) for v in graph.input if v.name not in initializers]
    outputs = [spec(v) for v in graph.output]
    batched = all(dims and dims[0] == -1 for _, _, dims in inputs + outputs)
    if batched:
        return {"max_batch_size": DEFAULT_MAX_BATCH_SIZE,
                "input": [(n, t, d[1:]) for n, t, d in inputs], "output": [(n, t, d[1:]) for n, t, d in outputs]}
    return {"max_batch_size": 0, "input": inputs, "output": outputs}


STAT_KINDS = ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output", "cache_hit",
              "cache_miss")


def statistics_delta(before, after):
    """after - before for one model's statistics, both in Triton's JSON shape (ints), flattened:
    {"inference_count", "execution_count", "success.count", "success.ns", ..., and per batch size b
    "batch[b].compute_infer.count" and so on}. A batch size missing before counts as zero."""
    delta = {"inference_count": after["inference_count"] - before["inference_count"],
             "execution_count": after["execution_count"] - before["execution_count"]}
    for kind in STAT_KINDS:
        for field in ("count", "ns"):
            delta[f"{kind}.{field}"] = after["inference_stats"][kind][field] - before["inference_stats"][kind][field]
    old = {b["batch_size"]: b for b in before.get("batch_stats", [])}
    for b in after.get("batch_stats", []):
        for kind in ("compute_input", "compute_infer", "compute_output"):
            for field in ("count", "ns"):
                was = old[b["batch_size"]][kind][field] if b["batch_size"] in old else 0
                delta[f"batch[{b['batch_size']}].{kind}.{field}"] = b[kind][field] - was
    return delta


def batch_runs(delta):
    """{batch_size: runs of that size} from a statistics_delta, sizes that ran at least once."""
    runs = {}
    for key, value in delta.items():
        if key.startswith("batch[") and key.endswith(".compute_infer.count") and value:
            runs[int(key[len("batch["):key.index("]")])] = value
    return runs


def shm_key(tag):
    """A POSIX shared memory key (/dev/shm/<key>) of this test process only."""
    return f"/modelship_test_{os.getpid()}_{tag}"


def assert_error(err, status, *words):
    """The InferenceServerException in pytest.raises' err has this status and mentions each word."""
    assert err.value.status() == status, f"status {err.value.status()}: {err.value.message()}"
    for word in words:
        assert word in err.value.message(), f"{word!r} not in {err.value.message()!r}"


@contextlib.contextmanager
def shm_regions(client):
    """System shared memory regions made by a test: created with create(), registered with register()
    through a client of `client(model)` (tritonclient.http or .grpc); afterwards every registration
    is undone and every region destroyed, whatever the test did."""
    import tritonclient.utils.shared_memory as shm

    class Regions:
        def __init__(self):
            self.handles, self.registered = [], []

        def create(self, tag, byte_size):
            key = shm_key(tag)
            handle = shm.create_shared_memory_region(tag, key, byte_size, create_only=True)
            self.handles.append(handle)
            return handle, key

        def register(self, c, name, key, byte_size, offset=0, model=DIGITS):
            self.registered.append((model, name))
            c.register_system_shared_memory(name, key, byte_size, offset=offset)

    made = Regions()
    try:
        yield made
    finally:
        for model, name in made.registered:
            with client(model) as c:
                c.unregister_system_shared_memory(name)
        for handle in made.handles:
            shm.destroy_shared_memory_region(handle)
