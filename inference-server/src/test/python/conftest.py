"""Shared pieces of the client compatibility suites.

The servers are started by ClientCompatibilityIT (one packaged server process per
model), which passes their addresses as environment variables:

    MODELSHIP_<MODEL>_HTTP  host:port of the REST endpoint, e.g. MODELSHIP_DIGITS_MLP_HTTP
    MODELSHIP_<MODEL>_GRPC  host:port of the gRPC endpoint

A missing variable fails the test (it is never skipped). Every expected value here
comes from outside the server: scikit-learn's own predictions (digits_mlp.expected.json),
ONNX Runtime run in this process, numpy, or the lookup table the model was built from.
"""

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
