"""Triton's gRPC client (tritonclient.grpc from PyPI), unchanged, against Modelship's
inference.GRPCInferenceService. tritonclient.grpc sends raw_input_contents and reads
raw_output_contents.

Runs in its own pytest process: tritonclient.grpc and kserve cannot be imported together.
"""

import numpy as np
import pytest
import tritonclient.grpc as grpcclient
from tritonclient.utils import InferenceServerException

from conftest import (DIGITS, MULTI_IO, STRING_INPUT, animals_expected, assert_identity, assert_output, endpoint,
                      type_sample, types_model)


def client(model):
    return grpcclient.InferenceServerClient(url=endpoint(model, "grpc"))


def digits_input(rows):
    inp = grpcclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows)
    return inp


def test_live_ready_and_server_metadata():
    with client(DIGITS) as c:
        assert c.is_server_live()
        assert c.is_server_ready()
        assert c.is_model_ready(DIGITS)
        assert c.is_model_ready(DIGITS, model_version="1")
        meta = c.get_server_metadata()
        assert meta.name == "modelship"
        assert "binary_tensor_data" in meta.extensions


def test_model_ready_for_an_unknown_model_is_not_found():
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.is_model_ready("no_such_model")
    assert err.value.status() == "StatusCode.NOT_FOUND"


def test_model_metadata_reports_dynamic_batch_as_minus_one():
    with client(DIGITS) as c:
        meta = c.get_model_metadata(DIGITS)
        assert meta.name == DIGITS
        assert "1" in meta.versions
        assert [(t.name, t.datatype, list(t.shape)) for t in meta.inputs] == [("input", "FP32", [-1, 64])]
        assert {(t.name, t.datatype, tuple(t.shape)) for t in meta.outputs} == {
            ("label", "INT64", (-1,)), ("probabilities", "FP32", (-1, 10))}
        as_json = c.get_model_metadata(DIGITS, model_version="1", as_json=True)
        assert as_json["name"] == DIGITS


def test_digits_match_scikit_learn(digits_rows, digits_expected):
    labels, probabilities = digits_expected
    with client(DIGITS) as c:
        result = c.infer(DIGITS, [digits_input(digits_rows)], request_id="grpc-7")
    assert result.get_response().id == "grpc-7"
    assert result.get_response().model_name == DIGITS
    np.testing.assert_array_equal(result.as_numpy("label"), labels)
    got = result.as_numpy("probabilities")
    assert got.dtype == np.float32 and got.shape == (3, 10)
    np.testing.assert_allclose(got, probabilities, rtol=0, atol=1e-5)


def test_larger_batch_matches_onnxruntime_in_process(random_digit_rows, digits_reference):
    want_labels, want_probabilities = digits_reference(random_digit_rows)
    with client(DIGITS) as c:
        result = c.infer(DIGITS, [digits_input(random_digit_rows)])
    assert_output("label", result.as_numpy("label"), want_labels)
    assert_output("probabilities", result.as_numpy("probabilities"), want_probabilities)


def test_requested_output_subset(digits_rows, digits_expected):
    with client(DIGITS) as c:
        result = c.infer(DIGITS, [digits_input(digits_rows)], model_version="1",
                         outputs=[grpcclient.InferRequestedOutput("probabilities")])
    assert [o.name for o in result.get_response().outputs] == ["probabilities"]
    np.testing.assert_allclose(result.as_numpy("probabilities"), digits_expected[1], rtol=0, atol=1e-5)
    assert result.as_numpy("label") is None


def test_multi_io_several_datatypes(multi_io_inputs):
    a, b, expected = multi_io_inputs
    ia = grpcclient.InferInput("a", list(a.shape), "FP32")
    ia.set_data_from_numpy(a)
    ib = grpcclient.InferInput("b", list(b.shape), "INT64")
    ib.set_data_from_numpy(b)
    with client(MULTI_IO) as c:
        result = c.infer(MULTI_IO, [ia, ib])
    assert {o.name for o in result.get_response().outputs} == set(expected)
    for name, want in expected.items():
        assert_output(name, result.as_numpy(name), want)


def test_bytes_input_and_output():
    animals = ["bird", "zebra", "cat", "", "Dog", "dog", "fish", "\u00e9l\u00e9phant"]
    ids, classes, known = animals_expected(animals)
    inp = grpcclient.InferInput("animal", [len(animals)], "BYTES")
    inp.set_data_from_numpy(np.array([a.encode() for a in animals], dtype=np.object_))
    with client(STRING_INPUT) as c:
        result = c.infer(STRING_INPUT, [inp])
    assert_output("animal_id", result.as_numpy("animal_id"), ids)
    assert_output("known", result.as_numpy("known"), known)
    assert [bytes(v).decode() for v in result.as_numpy("animal_class")] == classes


def test_every_datatype_round_trips_raw():
    """FP16 and the other types through raw_input_contents / raw_output_contents, bit for bit."""
    model = types_model()
    with client(model) as c:
        meta = c.get_model_metadata(model)
        inputs, sent = [], {}
        for i, spec in enumerate(meta.inputs):
            shape = [3, 1 + i % 3]
            sent[spec.name] = type_sample(spec.datatype, shape)
            inp = grpcclient.InferInput(spec.name, shape, spec.datatype)
            inp.set_data_from_numpy(sent[spec.name])
            inputs.append(inp)
        assert "FP16" in {spec.datatype for spec in meta.inputs}
        result = c.infer(model, inputs)
    for spec in meta.inputs:
        assert_identity(spec.datatype, result.as_numpy("y_" + spec.name[len("x_"):]), sent[spec.name])


def test_unknown_model_is_not_found_with_the_servers_message(digits_rows):
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.infer("no_such_model", [digits_input(digits_rows)])
    assert err.value.status() == "StatusCode.NOT_FOUND"
    assert "no_such_model" in err.value.message()
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.get_model_metadata("no_such_model")
    assert err.value.status() == "StatusCode.NOT_FOUND"
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.infer(DIGITS, [digits_input(digits_rows)], model_version="2")
    assert err.value.status() == "StatusCode.NOT_FOUND"
    assert "version" in err.value.message()


def test_bad_shape_is_invalid_argument_naming_the_input():
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.infer(DIGITS, [digits_input(np.zeros((2, 63), np.float32))])
    assert err.value.status() == "StatusCode.INVALID_ARGUMENT"
    assert "input" in err.value.message() and "63" in err.value.message()


def test_unknown_input_is_invalid_argument_and_server_keeps_serving(digits_rows, digits_expected):
    wrong = grpcclient.InferInput("pixels", [3, 64], "FP32")
    wrong.set_data_from_numpy(digits_rows)
    with client(DIGITS) as c:
        with pytest.raises(InferenceServerException) as err:
            c.infer(DIGITS, [wrong])
        assert err.value.status() == "StatusCode.INVALID_ARGUMENT"
        assert "pixels" in err.value.message()
        result = c.infer(DIGITS, [digits_input(digits_rows)])
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])


def test_non_utf8_bytes_are_kept_or_refused():
    """BYTES are bytes, not text: an element that is not UTF-8 comes back unchanged, or is refused
    with INVALID_ARGUMENT saying so. Altering it silently is wrong."""
    model = types_model()
    with client(model) as c:
        meta = c.get_model_metadata(model)
        inputs, sent = [], None
        for spec in meta.inputs:
            value = type_sample(spec.datatype, [2, 1])
            if spec.datatype == "BYTES":
                value = sent = np.array([[b"ok"], [b"\xc3\x28 broken \xff"]], dtype=np.object_)
            inp = grpcclient.InferInput(spec.name, [2, 1], spec.datatype)
            inp.set_data_from_numpy(value)
            inputs.append(inp)
        try:
            result = c.infer(model, inputs, outputs=[grpcclient.InferRequestedOutput("y_BYTES")])
        except InferenceServerException as refused:
            assert refused.status() == "StatusCode.INVALID_ARGUMENT"
            assert "UTF-8" in refused.message() or "utf-8" in refused.message()
            return
    assert_identity("BYTES", result.as_numpy("y_BYTES"), sent)
