"""KServe's Python SDK (kserve.InferenceGRPCClient, from PyPI), unchanged, against Modelship's
inference.GRPCInferenceService: typed InferTensorContents when the data is a list,
raw_input_contents when it comes from numpy. The client is asynchronous; each test drives
it with asyncio.run.

Runs in its own pytest process: kserve and tritonclient.grpc cannot be imported together.
"""

import asyncio

import grpc
import numpy as np
import pytest
from kserve import InferenceGRPCClient, InferInput, InferRequest
from kserve.protocol.grpc.grpc_predict_v2_pb2 import ModelMetadataRequest, ServerMetadataRequest
from kserve.protocol.grpc.grpc_predict_v2_pb2_grpc import GRPCInferenceServiceStub
from kserve.protocol.infer_type import RequestedOutput

from conftest import (DIGITS, MULTI_IO, STRING_INPUT, animals_expected, assert_identity, assert_output, endpoint,
                      type_sample, types_model)


def call(model, method, *args, **kwargs):
    async def run():
        async with InferenceGRPCClient(endpoint(model, "grpc"), retries=0, timeout=30) as c:
            return await getattr(c, method)(*args, **kwargs)
    return asyncio.run(run())


def infer(model, inputs, outputs=None, request_id=None, model_name=None):
    request = InferRequest(model_name=model_name or model, infer_inputs=inputs, request_id=request_id,
                           request_outputs=outputs)
    return call(model, "infer", request)


def stub_call(model, method, request):
    """Calls the service through the stub generated from KServe's own copy of the proto."""
    with grpc.insecure_channel(endpoint(model, "grpc")) as channel:
        return getattr(GRPCInferenceServiceStub(channel), method)(request, timeout=30)


def by_name(response):
    return {o.name: o for o in response.outputs}


def digits_input(rows, raw):
    if raw:
        inp = InferInput("input", list(rows.shape), "FP32")
        inp.set_data_from_numpy(rows, binary_data=True)
        return inp
    return InferInput("input", list(rows.shape), "FP32", data=[float(v) for v in rows.ravel()])


def test_live_and_ready():
    assert call(DIGITS, "is_server_live") is True
    assert call(DIGITS, "is_server_ready") is True
    assert call(DIGITS, "is_model_ready", DIGITS) is True


def test_model_ready_for_an_unknown_model_is_not_found():
    with pytest.raises(grpc.RpcError) as err:
        call(DIGITS, "is_model_ready", "no_such_model")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no_such_model" in err.value.details()


def test_metadata_through_kserves_generated_stub():
    server = stub_call(DIGITS, "ServerMetadata", ServerMetadataRequest())
    assert server.name == "modelship"
    meta = stub_call(DIGITS, "ModelMetadata", ModelMetadataRequest(name=DIGITS))
    assert meta.name == DIGITS
    assert [(t.name, t.datatype, list(t.shape)) for t in meta.inputs] == [("input", "FP32", [-1, 64])]
    assert {(t.name, t.datatype, tuple(t.shape)) for t in meta.outputs} == {
        ("label", "INT64", (-1,)), ("probabilities", "FP32", (-1, 10))}


@pytest.mark.parametrize("raw", [False, True], ids=["typed_contents", "raw_contents"])
def test_digits_match_scikit_learn(digits_rows, digits_expected, raw):
    labels, probabilities = digits_expected
    response = infer(DIGITS, [digits_input(digits_rows, raw)], request_id="kserve-grpc-3")
    assert response.id == "kserve-grpc-3"
    assert response.model_name == DIGITS
    out = by_name(response)
    assert_output("label", out["label"].as_numpy(), labels)
    got = out["probabilities"].as_numpy()
    assert got.dtype == np.float32 and got.shape == (3, 10)
    np.testing.assert_allclose(got, probabilities, rtol=0, atol=1e-5)


def test_larger_batch_matches_onnxruntime_in_process(random_digit_rows, digits_reference):
    want_labels, want_probabilities = digits_reference(random_digit_rows)
    out = by_name(infer(DIGITS, [digits_input(random_digit_rows, True)]))
    assert_output("label", out["label"].as_numpy(), want_labels)
    assert_output("probabilities", out["probabilities"].as_numpy(), want_probabilities)


def test_requested_output_subset(digits_rows, digits_expected):
    response = infer(DIGITS, [digits_input(digits_rows, False)], [RequestedOutput("probabilities")])
    assert [o.name for o in response.outputs] == ["probabilities"]
    np.testing.assert_allclose(response.outputs[0].as_numpy(), digits_expected[1], rtol=0, atol=1e-5)


@pytest.mark.parametrize("raw", [False, True], ids=["typed_contents", "raw_contents"])
def test_multi_io_several_datatypes(multi_io_inputs, raw):
    a, b, expected = multi_io_inputs
    if raw:
        ia = InferInput("a", list(a.shape), "FP32")
        ia.set_data_from_numpy(a, binary_data=True)
        ib = InferInput("b", list(b.shape), "INT64")
        ib.set_data_from_numpy(b, binary_data=True)
    else:
        ia = InferInput("a", list(a.shape), "FP32", data=[float(v) for v in a.ravel()])
        ib = InferInput("b", list(b.shape), "INT64", data=[int(v) for v in b.ravel()])
    out = by_name(infer(MULTI_IO, [ia, ib]))
    assert set(out) == set(expected)
    for name, want in expected.items():
        assert_output(name, out[name].as_numpy(), want)


@pytest.mark.parametrize("raw", [False, True], ids=["bytes_contents", "raw_contents"])
def test_bytes_input_and_output(raw):
    animals = ["dog", "parrot", "bird", "", "fish", "cat", "cat "]
    ids, classes, known = animals_expected(animals)
    if raw:
        inp = InferInput("animal", [len(animals)], "BYTES")
        inp.set_data_from_numpy(np.array([a.encode() for a in animals], dtype=np.object_), binary_data=True)
    else:
        inp = InferInput("animal", [len(animals)], "BYTES", data=list(animals))
    out = by_name(infer(STRING_INPUT, [inp]))
    assert_output("animal_id", out["animal_id"].as_numpy(), ids)
    assert_output("known", out["known"].as_numpy(), known)
    assert [v.decode() if isinstance(v, bytes) else v for v in out["animal_class"].as_numpy()] == classes


def test_every_datatype_round_trips_raw():
    """FP16 has no typed contents field: it travels raw, as do all inputs of this request."""
    model = types_model()
    meta = stub_call(model, "ModelMetadata", ModelMetadataRequest(name=model))
    assert "FP16" in {spec.datatype for spec in meta.inputs}
    inputs, sent = [], {}
    for i, spec in enumerate(meta.inputs):
        shape = [2, 1 + i % 4]
        sent[spec.name] = type_sample(spec.datatype, shape)
        inp = InferInput(spec.name, shape, spec.datatype)
        inp.set_data_from_numpy(sent[spec.name], binary_data=True)
        inputs.append(inp)
    out = by_name(infer(model, inputs))
    for spec in meta.inputs:
        assert_identity(spec.datatype, out["y_" + spec.name[len("x_"):]].as_numpy(), sent[spec.name])


def test_unknown_model_is_not_found_with_the_servers_message(digits_rows):
    with pytest.raises(grpc.RpcError) as err:
        infer(DIGITS, [digits_input(digits_rows, False)], model_name="no_such_model")
    assert err.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no_such_model" in err.value.details()


@pytest.mark.parametrize("raw", [False, True], ids=["typed_contents", "raw_contents"])
def test_bad_shape_is_invalid_argument_naming_the_input(raw):
    with pytest.raises(grpc.RpcError) as err:
        infer(DIGITS, [digits_input(np.zeros((4, 16), np.float32), raw)])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "input" in err.value.details() and "16" in err.value.details()


def test_missing_input_is_invalid_argument_and_server_keeps_serving(multi_io_inputs):
    a, b, expected = multi_io_inputs
    only_a = InferInput("a", list(a.shape), "FP32", data=[float(v) for v in a.ravel()])
    with pytest.raises(grpc.RpcError) as err:
        infer(MULTI_IO, [only_a])
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "'b'" in err.value.details()
    ib = InferInput("b", list(b.shape), "INT64", data=[int(v) for v in b.ravel()])
    out = by_name(infer(MULTI_IO, [only_a, ib]))
    assert_output("sum", out["sum"].as_numpy(), expected["sum"])
