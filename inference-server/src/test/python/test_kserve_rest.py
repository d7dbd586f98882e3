"""KServe's Python SDK (kserve.InferenceRESTClient, protocol v2, from PyPI), unchanged,
against Modelship's REST endpoint. The client is asynchronous; each test drives it with
asyncio.run so that no pytest plugin is needed.

Runs in its own pytest process: kserve and tritonclient.grpc cannot be imported together.
"""

import asyncio

import httpx
import numpy as np
import pytest
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput

from conftest import (DIGITS, MULTI_IO, STRING_INPUT, animals_expected, assert_identity, assert_output, endpoint,
                      type_sample, types_model)


def base_url(model):
    return "http://" + endpoint(model, "http")


def call(method, *args, **kwargs):
    async def run():
        async with InferenceRESTClient(RESTConfig(protocol="v2", retries=0, timeout=30)) as c:
            return await getattr(c, method)(*args, **kwargs)
    return asyncio.run(run())


def infer(model, inputs, outputs=None, request_id=None, model_name=None):
    request = InferRequest(model_name=model_name or model, infer_inputs=inputs, request_id=request_id,
                           request_outputs=outputs)
    return call("infer", base_url(model), request, model_name=model_name or model)


def by_name(response):
    return {o.name: o for o in response.outputs}


def digits_input(rows, binary):
    inp = InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows, binary_data=binary)
    return inp


def test_live_and_ready():
    assert call("is_server_live", base_url(DIGITS)) is True
    assert call("is_server_ready", base_url(DIGITS)) is True
    assert call("is_model_ready", base_url(DIGITS), DIGITS) is True
    assert call("is_model_ready", base_url(DIGITS), "no_such_model") is False


def test_model_metadata_reports_dynamic_batch_as_minus_one():
    # The SDK has no REST metadata call; read it with the SDK's own HTTP library.
    meta = httpx.get(f"{base_url(DIGITS)}/v2/models/{DIGITS}").json()
    assert meta["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 64]}]
    assert {(o["name"], tuple(o["shape"])) for o in meta["outputs"]} == {("label", (-1,)), ("probabilities", (-1, 10))}


@pytest.mark.parametrize("binary_in", [False, True], ids=["json_in", "binary_in"])
@pytest.mark.parametrize("binary_out", [False, True], ids=["json_out", "binary_out"])
def test_digits_match_scikit_learn(digits_rows, digits_expected, binary_in, binary_out):
    labels, probabilities = digits_expected
    outputs = [RequestedOutput(n, parameters={"binary_data": binary_out}) for n in ("label", "probabilities")]
    response = infer(DIGITS, [digits_input(digits_rows, binary_in)], outputs, request_id="kserve-1")
    assert response.id == "kserve-1"
    assert response.model_name == DIGITS
    out = by_name(response)
    assert_output("label", out["label"].as_numpy(), labels)
    got = out["probabilities"].as_numpy()
    assert got.dtype == np.float32 and got.shape == (3, 10)
    np.testing.assert_allclose(got, probabilities, rtol=0, atol=1e-5)


def test_request_level_binary_data_output(digits_rows, digits_expected):
    """parameters.binary_data_output asks for every output in binary; the client reads them back."""
    headers = {}
    request = InferRequest(model_name=DIGITS, infer_inputs=[digits_input(digits_rows, True)],
                           parameters={"binary_data_output": True})
    response = call("infer", base_url(DIGITS), request, model_name=DIGITS, response_headers=headers)
    assert int(headers["inference-header-content-length"]) > 0
    out = by_name(response)
    assert_output("label", out["label"].as_numpy(), digits_expected[0])
    np.testing.assert_allclose(out["probabilities"].as_numpy(), digits_expected[1], rtol=0, atol=1e-5)


def test_larger_batch_matches_onnxruntime_in_process(random_digit_rows, digits_reference):
    want_labels, want_probabilities = digits_reference(random_digit_rows)
    out = by_name(infer(DIGITS, [digits_input(random_digit_rows, True)]))
    assert_output("label", out["label"].as_numpy(), want_labels)
    assert_output("probabilities", out["probabilities"].as_numpy(), want_probabilities)


def test_requested_output_subset(digits_rows, digits_expected):
    response = infer(DIGITS, [digits_input(digits_rows, False)], [RequestedOutput("label")])
    assert [o.name for o in response.outputs] == ["label"]
    assert_output("label", response.outputs[0].as_numpy(), digits_expected[0])


def test_multi_io_several_datatypes(multi_io_inputs):
    a, b, expected = multi_io_inputs
    ia = InferInput("a", list(a.shape), "FP32")
    ia.set_data_from_numpy(a, binary_data=False)
    ib = InferInput("b", list(b.shape), "INT64")
    ib.set_data_from_numpy(b, binary_data=False)
    out = by_name(infer(MULTI_IO, [ia, ib]))
    assert set(out) == set(expected)
    for name, want in expected.items():
        assert_output(name, out[name].as_numpy(), want)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_bytes_input_and_output(binary):
    animals = ["fish", "cat", "", "horse", "bird", "CAT", "dog"]
    ids, classes, known = animals_expected(animals)
    inp = InferInput("animal", [len(animals)], "BYTES")
    inp.set_data_from_numpy(np.array([a.encode() for a in animals], dtype=np.object_), binary_data=binary)
    out = by_name(infer(STRING_INPUT, [inp]))
    assert_output("animal_id", out["animal_id"].as_numpy(), ids)
    assert_output("known", out["known"].as_numpy(), known)
    got = out["animal_class"].as_numpy()
    assert [v.decode() if isinstance(v, bytes) else v for v in got] == classes


def test_every_datatype_round_trips_binary_both_ways():
    """FP16 (which KServe only sends binary) and every other type, bit for bit."""
    model = types_model()
    meta = httpx.get(f"{base_url(model)}/v2/models/{model}").json()
    assert "FP16" in {spec["datatype"] for spec in meta["inputs"]}
    inputs, sent = [], {}
    for i, spec in enumerate(meta["inputs"]):
        shape = [1 + i % 3, 2]
        sent[spec["name"]] = type_sample(spec["datatype"], shape)
        inp = InferInput(spec["name"], shape, spec["datatype"])
        inp.set_data_from_numpy(sent[spec["name"]], binary_data=True)
        inputs.append(inp)
    outputs = [RequestedOutput(o["name"], parameters={"binary_data": True}) for o in meta["outputs"]]
    out = by_name(infer(model, inputs, outputs))
    for spec in meta["inputs"]:
        y = out["y_" + spec["name"][len("x_"):]].as_numpy()
        if spec["datatype"] == "BYTES":
            # KServe turns binary BYTES outputs into str with UTF-8; compare as text.
            y = np.array([v.encode() if isinstance(v, str) else v for v in y.ravel()], dtype=np.object_).reshape(
                y.shape)
        assert_identity(spec["datatype"], y, sent[spec["name"]])


def test_unknown_model_is_404_with_the_servers_message(digits_rows):
    with pytest.raises(httpx.HTTPStatusError) as err:
        infer(DIGITS, [digits_input(digits_rows, False)], model_name="no_such_model")
    assert err.value.response.status_code == 404
    assert "no_such_model" in err.value.response.json()["error"]
    assert err.value.response.json()["error"] in str(err.value)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_bad_shape_is_400_naming_the_input(binary):
    with pytest.raises(httpx.HTTPStatusError) as err:
        infer(DIGITS, [digits_input(np.zeros((1, 65), np.float32), binary)])
    assert err.value.response.status_code == 400
    message = err.value.response.json()["error"]
    assert "input" in message and "65" in message
    assert message in str(err.value)


def test_values_not_matching_shape_are_400_and_server_keeps_serving(digits_rows, digits_expected):
    short = InferInput("input", [3, 64], "FP32", data=[1.0] * 100)
    with pytest.raises(httpx.HTTPStatusError) as err:
        infer(DIGITS, [short])
    assert err.value.response.status_code == 400
    assert "100" in err.value.response.json()["error"]
    out = by_name(infer(DIGITS, [digits_input(digits_rows, False)]))
    assert_output("label", out["label"].as_numpy(), digits_expected[0])
