"""Triton's HTTP client (tritonclient.http from PyPI), unchanged, against Modelship's REST endpoint."""

import numpy as np
import pytest
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from conftest import (DIGITS, MULTI_IO, STRING_INPUT, animals_expected, assert_identity, assert_output, endpoint,
                      type_sample, types_model)


def client(model):
    return httpclient.InferenceServerClient(url=endpoint(model, "http"))


def digits_input(rows, binary):
    inp = httpclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows, binary_data=binary)
    return inp


def test_live_ready_and_server_metadata():
    with client(DIGITS) as c:
        assert c.is_server_live()
        assert c.is_server_ready()
        assert c.is_model_ready(DIGITS)
        assert c.is_model_ready(DIGITS, model_version="1")
        assert not c.is_model_ready("no_such_model")
        meta = c.get_server_metadata()
        assert meta["name"] == "modelship"
        assert "binary_tensor_data" in meta["extensions"]


def test_model_metadata_reports_dynamic_batch_as_minus_one():
    with client(DIGITS) as c:
        meta = c.get_model_metadata(DIGITS)
        assert meta["name"] == DIGITS
        assert "1" in meta["versions"]
        assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 64]}]
        assert {(o["name"], o["datatype"], tuple(o["shape"])) for o in meta["outputs"]} == {
            ("label", "INT64", (-1,)), ("probabilities", "FP32", (-1, 10))}
        assert c.get_model_metadata(DIGITS, model_version="1")["name"] == DIGITS


@pytest.mark.parametrize("binary_in", [False, True], ids=["json_in", "binary_in"])
@pytest.mark.parametrize("binary_out", [False, True], ids=["json_out", "binary_out"])
def test_digits_match_scikit_learn(digits_rows, digits_expected, binary_in, binary_out):
    labels, probabilities = digits_expected
    with client(DIGITS) as c:
        result = c.infer(DIGITS, [digits_input(digits_rows, binary_in)], request_id="req-42",
                         outputs=[httpclient.InferRequestedOutput("label", binary_data=binary_out),
                                  httpclient.InferRequestedOutput("probabilities", binary_data=binary_out)])
    assert result.get_response()["id"] == "req-42"
    assert result.get_response()["model_name"] == DIGITS
    np.testing.assert_array_equal(result.as_numpy("label"), labels)
    got = result.as_numpy("probabilities")
    assert got.dtype == np.float32 and got.shape == (3, 10)
    np.testing.assert_allclose(got, probabilities, rtol=0, atol=1e-5)
    for out in result.get_response()["outputs"]:
        # binary outputs are announced by binary_data_size and carry no JSON data
        assert ("binary_data_size" in out.get("parameters", {})) == binary_out
        assert ("data" in out) == (not binary_out)


def test_larger_batch_matches_onnxruntime_in_process(random_digit_rows, digits_reference):
    want_labels, want_probabilities = digits_reference(random_digit_rows)
    with client(DIGITS) as c:
        # Request parameters the server does not use are accepted and ignored.
        result = c.infer(DIGITS, [digits_input(random_digit_rows, True)], parameters={"note": "fuzz-free", "level": 2})
    assert_output("label", result.as_numpy("label"), want_labels)
    assert_output("probabilities", result.as_numpy("probabilities"), want_probabilities)


def test_requested_output_subset(digits_rows, digits_expected):
    with client(DIGITS) as c:
        result = c.infer(DIGITS, [digits_input(digits_rows, False)], model_version="1",
                         outputs=[httpclient.InferRequestedOutput("label", binary_data=False)])
    assert [o["name"] for o in result.get_response()["outputs"]] == ["label"]
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])
    assert result.as_numpy("probabilities") is None


def test_multi_io_several_datatypes(multi_io_inputs):
    a, b, expected = multi_io_inputs
    for binary in (False, True):
        ia = httpclient.InferInput("a", list(a.shape), "FP32")
        ia.set_data_from_numpy(a, binary_data=binary)
        ib = httpclient.InferInput("b", list(b.shape), "INT64")
        ib.set_data_from_numpy(b, binary_data=binary)
        with client(MULTI_IO) as c:
            result = c.infer(MULTI_IO, [ia, ib], outputs=[
                httpclient.InferRequestedOutput(name, binary_data=binary) for name in expected])
        for name, want in expected.items():
            assert_output(name, result.as_numpy(name), want)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_bytes_input_and_output(binary):
    animals = ["dog", "cat", "zebra", "fish", "", "bird", "Cat", "\u00e9l\u00e9phant"]
    ids, classes, known = animals_expected(animals)
    inp = httpclient.InferInput("animal", [len(animals)], "BYTES")
    inp.set_data_from_numpy(np.array([a.encode() for a in animals], dtype=np.object_), binary_data=binary)
    with client(STRING_INPUT) as c:
        result = c.infer(STRING_INPUT, [inp], outputs=[
            httpclient.InferRequestedOutput(n, binary_data=binary) for n in ("animal_id", "animal_class", "known")])
    assert_output("animal_id", result.as_numpy("animal_id"), ids)
    assert_output("known", result.as_numpy("known"), known)
    got_classes = result.as_numpy("animal_class")
    assert got_classes.shape == (len(animals),)
    assert [bytes(v).decode() if isinstance(v, bytes) else v for v in got_classes] == classes


def test_every_datatype_round_trips_binary_both_ways():
    """FP16 and the other types: binary in, binary out, bit for bit (Identity model)."""
    model = types_model()
    with client(model) as c:
        meta = c.get_model_metadata(model)
        inputs, sent = [], {}
        for i, spec in enumerate(meta["inputs"]):
            shape = [2, 3 + i % 2]
            sent[spec["name"]] = type_sample(spec["datatype"], shape)
            inp = httpclient.InferInput(spec["name"], shape, spec["datatype"])
            inp.set_data_from_numpy(sent[spec["name"]], binary_data=True)
            inputs.append(inp)
        assert "FP16" in {spec["datatype"] for spec in meta["inputs"]}
        result = c.infer(model, inputs, outputs=[
            httpclient.InferRequestedOutput(o["name"], binary_data=True) for o in meta["outputs"]])
    for spec in meta["inputs"]:
        out = "y_" + spec["name"][len("x_"):]
        assert_identity(spec["datatype"], result.as_numpy(out), sent[spec["name"]])


def test_unknown_model_is_404_with_the_servers_message(digits_rows):
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.infer("no_such_model", [digits_input(digits_rows, False)])
    assert err.value.status() == "404"
    assert "no_such_model" in err.value.message()
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.get_model_metadata("no_such_model")
    assert err.value.status() == "404"
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.infer(DIGITS, [digits_input(digits_rows, False)], model_version="2")
    assert err.value.status() == "404"
    assert "version" in err.value.message()


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_bad_shape_is_400_naming_the_input(binary):
    with client(DIGITS) as c, pytest.raises(InferenceServerException) as err:
        c.infer(DIGITS, [digits_input(np.zeros((2, 63), np.float32), binary)])
    assert err.value.status() == "400"
    assert "input" in err.value.message() and "63" in err.value.message()


def test_wrong_datatype_is_400_and_server_keeps_serving(digits_rows, digits_expected):
    inp = httpclient.InferInput("input", [3, 64], "FP64")
    inp.set_data_from_numpy(digits_rows.astype(np.float64), binary_data=True)
    with client(DIGITS) as c:
        with pytest.raises(InferenceServerException) as err:
            c.infer(DIGITS, [inp])
        assert err.value.status() == "400"
        assert "FP64" in err.value.message() and "FP32" in err.value.message()
        result = c.infer(DIGITS, [digits_input(digits_rows, True)])
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])


def test_non_utf8_bytes_are_kept_or_refused():
    """BYTES are bytes, not text: an element that is not UTF-8 comes back unchanged, or is refused
    with a 400 that says so. Altering it silently (e.g. to U+FFFD) is wrong."""
    model = types_model()
    with client(model) as c:
        meta = c.get_model_metadata(model)
        inputs, sent = [], None
        for spec in meta["inputs"]:
            value = type_sample(spec["datatype"], [1, 2])
            if spec["datatype"] == "BYTES":
                value = sent = np.array([[b"\xff\xfe latin-1 \xe9", b"ok"]], dtype=np.object_)
            inp = httpclient.InferInput(spec["name"], [1, 2], spec["datatype"])
            inp.set_data_from_numpy(value, binary_data=True)
            inputs.append(inp)
        try:
            result = c.infer(model, inputs, outputs=[httpclient.InferRequestedOutput("y_BYTES", binary_data=True)])
        except InferenceServerException as refused:
            assert refused.status() == "400"
            assert "UTF-8" in refused.message() or "utf-8" in refused.message()
            return
    assert_identity("BYTES", result.as_numpy("y_BYTES"), sent)
