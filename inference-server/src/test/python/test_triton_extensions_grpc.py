"""Triton's protocol extensions through Triton's gRPC client (tritonclient.grpc from PyPI), unchanged:
statistics, model configuration, system shared memory (CUDA shared memory refused), the model
repository API, message compression, and Triton's use of raw_input_contents / raw_output_contents.

Statistics are checked as differences between readings taken around this test's own requests; the
suites share a server only one after another, never at the same time.

Runs in its own pytest process: tritonclient.grpc and kserve cannot be imported together.
"""

import base64
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import numpy as np
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.utils.shared_memory as shm
from tritonclient.grpc import model_config_pb2, service_pb2, service_pb2_grpc
from tritonclient.utils import InferenceServerException, serialize_byte_tensor, serialized_byte_size

from conftest import (assert_error, shm_regions, DIGITS, FIXED_BATCH, MULTI_IO, STAT_KINDS, assert_identity, assert_output, batch_runs,
                      endpoint, model_file_config, shm_key, statistics_delta, type_sample, types_model)

INVALID_ARGUMENT = "StatusCode.INVALID_ARGUMENT"
NOT_FOUND = "StatusCode.NOT_FOUND"


def client(model=DIGITS):
    return grpcclient.InferenceServerClient(url=endpoint(model, "grpc"))


def digits_input(rows):
    inp = grpcclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows)
    return inp


def as_dict(stat):
    """One ModelStatistics message in Triton's JSON shape, with ints (for statistics_delta)."""
    def duration(d):
        return {"count": d.count, "ns": d.ns}

    return {"name": stat.name, "version": stat.version, "last_inference": stat.last_inference,
            "inference_count": stat.inference_count, "execution_count": stat.execution_count,
            "inference_stats": {kind: duration(getattr(stat.inference_stats, kind)) for kind in STAT_KINDS},
            "batch_stats": [{"batch_size": b.batch_size, "compute_input": duration(b.compute_input),
                             "compute_infer": duration(b.compute_infer), "compute_output": duration(b.compute_output)}
                            for b in stat.batch_stats]}


def statistics(c, model=DIGITS):
    (only,) = c.get_inference_statistics(model).model_stats
    return as_dict(only)


@pytest.fixture
def regions():
    """System shared memory regions this test makes, undone afterwards (conftest.shm_regions)."""
    with shm_regions(client) as made:
        yield made


def region_status(c, name=""):
    """{name: (key, offset, byte_size)} of the registered system shared memory regions."""
    return {n: (r.key, r.offset, r.byte_size)
            for n, r in c.get_system_shared_memory_status(region_name=name).regions.items()}


# ---- server metadata ----------------------------------------------------------------------------

def test_server_metadata_announces_the_extensions():
    with client() as c:
        extensions = set(c.get_server_metadata().extensions)
    assert {"binary_tensor_data", "statistics", "model_configuration", "model_repository",
            "system_shared_memory"} <= extensions
    assert "cuda_shared_memory" not in extensions


# ---- statistics ---------------------------------------------------------------------------------

def test_statistics_count_requests_rows_and_runs(digits_rows, random_digit_rows, digits_expected):
    """k requests of r rows, one at a time: k successes, k*r rows, k runs of batch size r; times grow."""
    two = random_digit_rows[10:12]
    with client() as c:
        before = statistics(c)
        started_ms = time.time() * 1000
        for _ in range(3):
            result = c.infer(DIGITS, [digits_input(digits_rows)])
            np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])
        for _ in range(4):
            c.infer(DIGITS, [digits_input(two)])
        finished_ms = time.time() * 1000
        after = statistics(c)
    assert after["name"] == DIGITS and after["version"] == "1"
    d = statistics_delta(before, after)
    assert d["success.count"] == 7
    assert d["fail.count"] == 0
    assert d["inference_count"] == 3 * 3 + 4 * 2
    assert d["execution_count"] == 7
    for kind in ("queue", "compute_input", "compute_infer", "compute_output"):
        assert d[f"{kind}.count"] == 7, kind
    for kind in ("success", "compute_input", "compute_infer", "compute_output"):
        assert d[f"{kind}.ns"] > 0, f"{kind}.ns did not grow: { {k: v for k, v in d.items() if '[' not in k} }"
    assert d["success.ns"] >= d["queue.ns"] + d["compute_input.ns"] + d["compute_infer.ns"] + d["compute_output.ns"]
    assert d["cache_hit.count"] == 0 and d["cache_miss.count"] == 0
    assert batch_runs(d) == {3: 3, 2: 4}
    for size, runs in ((3, 3), (2, 4)):
        for kind in ("compute_input", "compute_output"):
            assert d[f"batch[{size}].{kind}.count"] == runs, (size, kind)
        assert d[f"batch[{size}].compute_infer.ns"] > 0
    assert started_ms - 2000 <= after["last_inference"] <= finished_ms + 2000
    assert after["last_inference"] > before["last_inference"]


def test_statistics_count_a_refused_request_as_a_failure(digits_rows):
    wrong = grpcclient.InferInput("input", [3, 64], "FP64")
    wrong.set_data_from_numpy(digits_rows.astype(np.float64))
    with client() as c:
        before = statistics(c)
        with pytest.raises(InferenceServerException) as err:
            c.infer(DIGITS, [wrong])
        assert_error(err, INVALID_ARGUMENT, "FP64")
        middle = statistics(c)
        c.infer(DIGITS, [digits_input(digits_rows)])
        after = statistics(c)
    d = statistics_delta(before, middle)
    assert d["fail.count"] == 1
    assert d["success.count"] == 0 and d["inference_count"] == 0 and d["execution_count"] == 0
    assert d["queue.count"] == 0 and d["compute_infer.count"] == 0
    d = statistics_delta(middle, after)
    assert (d["success.count"], d["fail.count"], d["inference_count"]) == (1, 0, 3)


def test_requests_for_another_model_do_not_count(digits_rows):
    with client() as c:
        before = statistics(c)
        with pytest.raises(InferenceServerException):
            c.infer("no_such_model", [digits_input(digits_rows)])
        after = statistics(c)
    d = statistics_delta(before, after)
    assert d["fail.count"] == 0 and d["success.count"] == 0


def test_statistics_account_for_every_row_of_concurrent_requests(random_digit_rows, digits_reference):
    """Requests in flight together may be run together: each row is counted once, in some run."""
    sizes = [4, 3, 2, 1] * 6
    slices, start = [], 0
    for n in sizes:
        slices.append(random_digit_rows[start % 28:start % 28 + n])
        start += n
    with client() as c:
        before = statistics(c)
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda rows: c.infer(DIGITS, [digits_input(rows)]), slices))
        after = statistics(c)
    for rows, result in zip(slices, results):
        want_labels, want_probabilities = digits_reference(rows)
        assert_output("label", result.as_numpy("label"), want_labels)
        assert_output("probabilities", result.as_numpy("probabilities"), want_probabilities)
    d = statistics_delta(before, after)
    runs = batch_runs(d)
    assert d["success.count"] == len(sizes)
    assert d["inference_count"] == sum(sizes)
    assert sum(size * count for size, count in runs.items()) == sum(sizes), runs
    assert sum(runs.values()) == d["execution_count"] <= len(sizes)
    assert max(runs) <= model_file_config(DIGITS)["max_batch_size"]


def test_statistics_for_all_models_by_version_and_unknown_models():
    with client() as c:
        everything = c.get_inference_statistics("").model_stats
        assert [(s.name, s.version) for s in everything] == [(DIGITS, "1")]
        (by_version,) = c.get_inference_statistics(DIGITS, model_version="1").model_stats
        assert (by_version.name, by_version.version) == (DIGITS, "1")
        as_json = c.get_inference_statistics(DIGITS, as_json=True)
        (one,) = as_json["model_stats"]
        # MessageToJson writes int64 as strings.
        assert one["name"] == DIGITS and int(one["inference_count"]) >= 0
        with pytest.raises(InferenceServerException) as err:
            c.get_inference_statistics("no_such_model")
        assert_error(err, NOT_FOUND, "no_such_model")
        with pytest.raises(InferenceServerException) as err:
            c.get_inference_statistics(DIGITS, model_version="2")
        assert_error(err, NOT_FOUND)


# ---- model configuration --------------------------------------------------------------------------

def tensors(config_list):
    return [(t.name, model_config_pb2.DataType.Name(t.data_type), list(t.dims)) for t in config_list]


def test_model_config_of_digits():
    want = model_file_config(DIGITS)
    assert want["input"] == [("input", "TYPE_FP32", [64])]
    assert want["output"] == [("label", "TYPE_INT64", []), ("probabilities", "TYPE_FP32", [10])]
    with client() as c:
        response = c.get_model_config(DIGITS)
        as_json = c.get_model_config(DIGITS, model_version="1", as_json=True)
    assert isinstance(response, service_pb2.ModelConfigResponse)
    config = response.config
    assert config.name == DIGITS
    assert config.platform == "onnxruntime_onnx"
    assert config.backend == "onnxruntime"
    assert config.max_batch_size == 32
    assert tensors(config.input) == want["input"]
    assert sorted(tensors(config.output)) == sorted(want["output"])
    assert config.HasField("dynamic_batching")
    assert config.dynamic_batching.max_queue_delay_microseconds == 0
    assert [(model_config_pb2.ModelInstanceGroup.Kind.Name(g.kind), g.count) for g in config.instance_group] == [
        ("KIND_CPU", 1)]
    # The JSON form: int64 as strings, empty repeated fields (the label's dims) left out.
    j = as_json["config"]
    assert (j["name"], j["platform"], j["backend"], j["max_batch_size"]) == (
        DIGITS, "onnxruntime_onnx", "onnxruntime", 32)
    assert [(t["name"], t["data_type"], [int(d) for d in t.get("dims", [])]) for t in j["input"]] == want["input"]
    assert sorted((t["name"], t["data_type"], [int(d) for d in t.get("dims", [])]) for t in j["output"]) == sorted(
        want["output"])
    assert "dynamic_batching" in j
    assert int(j["dynamic_batching"].get("max_queue_delay_microseconds", 0)) == 0


@pytest.mark.parametrize("which", ["multi_io", "all_types", "fixed_batch"])
def test_model_config_matches_the_model_file(which):
    model = {"multi_io": MULTI_IO, "all_types": types_model(), "fixed_batch": FIXED_BATCH}[which]
    want = model_file_config(model)
    with client(model) as c:
        config = c.get_model_config(model).config
    assert config.name == model
    assert (config.platform, config.backend) == ("onnxruntime_onnx", "onnxruntime")
    assert config.max_batch_size == want["max_batch_size"]
    assert tensors(config.input) == want["input"]
    assert sorted(tensors(config.output)) == sorted(want["output"])
    if want["max_batch_size"] > 0:
        assert config.HasField("dynamic_batching")
    if which == "all_types":
        assert ("x_BYTES", "TYPE_STRING", [-1]) in tensors(config.input)
    if which == "fixed_batch":
        assert want["max_batch_size"] == 0 and want["input"] == [("x", "TYPE_FP32", [1, 4])]


def test_model_config_of_an_unknown_model_is_not_found():
    with client() as c, pytest.raises(InferenceServerException) as err:
        c.get_model_config("no_such_model")
    assert_error(err, NOT_FOUND, "no_such_model")
    with client() as c, pytest.raises(InferenceServerException) as err:
        c.get_model_config(DIGITS, model_version="2")
    assert_error(err, NOT_FOUND)


# ---- raw contents, as Triton's client uses them ---------------------------------------------------

def test_outputs_come_in_raw_output_contents_one_per_output(multi_io_inputs):
    a, b, expected = multi_io_inputs
    ia = grpcclient.InferInput("a", list(a.shape), "FP32")
    ia.set_data_from_numpy(a)
    ib = grpcclient.InferInput("b", list(b.shape), "INT64")
    ib.set_data_from_numpy(b)
    with client(MULTI_IO) as c:
        result = c.infer(MULTI_IO, [ia, ib])
        subset = c.infer(MULTI_IO, [ia, ib], outputs=[grpcclient.InferRequestedOutput("a_row_sum"),
                                                      grpcclient.InferRequestedOutput("a_greater_b")])
    response = result.get_response()
    assert len(response.raw_output_contents) == len(response.outputs) == len(expected)
    for output, raw in zip(response.outputs, response.raw_output_contents):
        assert not output.HasField("contents") or output.contents.ByteSize() == 0, output.name
        want = expected[output.name]
        assert len(raw) == want.nbytes, output.name
        assert_output(output.name, result.as_numpy(output.name), want)
    response = subset.get_response()
    assert [o.name for o in response.outputs] == ["a_row_sum", "a_greater_b"]
    assert len(response.raw_output_contents) == 2
    assert_output("a_greater_b", subset.as_numpy("a_greater_b"), expected["a_greater_b"])


def test_raw_and_typed_contents_together_are_invalid_argument(digits_rows, digits_expected):
    request = service_pb2.ModelInferRequest(model_name=DIGITS, id="both-ways")
    tensor = request.inputs.add(name="input", datatype="FP32", shape=[3, 64])
    tensor.contents.fp32_contents.extend(digits_rows.ravel().tolist())
    request.raw_input_contents.append(digits_rows.tobytes())
    with grpc.insecure_channel(endpoint(DIGITS, "grpc")) as channel:
        stub = service_pb2_grpc.GRPCInferenceServiceStub(channel)
        with pytest.raises(grpc.RpcError) as err:
            stub.ModelInfer(request, timeout=30)
        assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "input" in err.value.details()
        # Typed contents alone are fine, and the answer still comes in raw_output_contents.
        del request.raw_input_contents[:]
        response = stub.ModelInfer(request, timeout=30)
    assert response.id == "both-ways"
    assert len(response.raw_output_contents) == len(response.outputs) == 2
    raw = dict(zip([o.name for o in response.outputs], response.raw_output_contents))
    np.testing.assert_array_equal(np.frombuffer(raw["label"], np.int64), digits_expected[0])
    with client() as c:
        np.testing.assert_array_equal(c.infer(DIGITS, [digits_input(digits_rows)]).as_numpy("label"),
                                      digits_expected[0])


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_compressed_messages(digits_rows, digits_expected, algorithm):
    """tritonclient.grpc's compression_algorithm: the request message is compressed by gRPC."""
    with client() as c:
        result = c.infer(DIGITS, [digits_input(digits_rows)], compression_algorithm=algorithm)
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])
    np.testing.assert_allclose(result.as_numpy("probabilities"), digits_expected[1], rtol=0, atol=1e-5)


# ---- system shared memory -------------------------------------------------------------------------

def test_shared_memory_inputs_and_outputs(regions, digits_rows, digits_expected):
    labels, probabilities = digits_expected
    label_size, probabilities_size = labels.size * 8, probabilities.size * 4
    in_handle, in_key = regions.create("in", digits_rows.nbytes)
    out_handle, out_key = regions.create("out", label_size + probabilities_size)
    shm.set_shared_memory_region(in_handle, [digits_rows])
    with client() as c:
        regions.register(c, f"in_{in_key[1:]}", in_key, digits_rows.nbytes)
        regions.register(c, f"out_{out_key[1:]}", out_key, label_size + probabilities_size)
        inp = grpcclient.InferInput("input", [3, 64], "FP32")
        inp.set_shared_memory(f"in_{in_key[1:]}", digits_rows.nbytes)
        label = grpcclient.InferRequestedOutput("label")
        label.set_shared_memory(f"out_{out_key[1:]}", label_size)
        probs = grpcclient.InferRequestedOutput("probabilities")
        probs.set_shared_memory(f"out_{out_key[1:]}", probabilities_size, offset=label_size)
        result = c.infer(DIGITS, [inp], outputs=[label, probs])
    got_label, got_probs = result.get_output("label"), result.get_output("probabilities")
    assert (got_label.datatype, list(got_label.shape)) == ("INT64", [3])
    assert (got_probs.datatype, list(got_probs.shape)) == ("FP32", [3, 10])
    # Nothing of the tensors travels in the response.
    assert all(len(raw) == 0 for raw in result.get_response().raw_output_contents)
    np.testing.assert_array_equal(shm.get_contents_as_numpy(out_handle, np.int64, list(got_label.shape)), labels)
    np.testing.assert_allclose(
        shm.get_contents_as_numpy(out_handle, np.float32, list(got_probs.shape), offset=label_size),
        probabilities, rtol=0, atol=1e-5)


def test_shared_memory_output_next_to_an_output_in_the_response(regions, digits_rows, digits_expected):
    """The client finds an output's bytes by its position among the outputs: an output in shared memory
    still takes its (empty) place in raw_output_contents."""
    labels, probabilities = digits_expected
    out_handle, out_key = regions.create("mixed", 64)
    name = f"mixed_{out_key[1:]}"
    with client() as c:
        regions.register(c, name, out_key, 64)
        label = grpcclient.InferRequestedOutput("label")
        label.set_shared_memory(name, 64)
        probs = grpcclient.InferRequestedOutput("probabilities")
        result = c.infer(DIGITS, [digits_input(digits_rows)], outputs=[label, probs])
    response = result.get_response()
    assert len(response.raw_output_contents) == len(response.outputs) == 2
    np.testing.assert_allclose(result.as_numpy("probabilities"), probabilities, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(shm.get_contents_as_numpy(out_handle, np.int64, [3]), labels)


def test_shared_memory_offsets(regions, digits_rows, digits_expected):
    """A region registered one page into its shared memory object, and tensors at offsets inside regions."""
    page = 4096
    labels, probabilities = digits_expected
    handle, key = regions.create("offsets", 2 * page)
    shm.set_shared_memory_region(handle, [np.full(page // 4, np.nan, np.float32)])  # before the region
    shm.set_shared_memory_region(handle, [digits_rows], offset=page + 100)
    name = f"offsets_{key[1:]}"
    with client() as c:
        regions.register(c, name, key, page, offset=page)
        assert region_status(c, name) == {name: (key, page, page)}
        inp = grpcclient.InferInput("input", [3, 64], "FP32")
        inp.set_shared_memory(name, digits_rows.nbytes, offset=100)
        probs = grpcclient.InferRequestedOutput("probabilities")
        probs.set_shared_memory(name, probabilities.size * 4, offset=2000)
        label = grpcclient.InferRequestedOutput("label")
        label.set_shared_memory(name, labels.size * 8, offset=3000)
        c.infer(DIGITS, [inp], outputs=[probs, label])
    np.testing.assert_allclose(shm.get_contents_as_numpy(handle, np.float32, [3, 10], offset=page + 2000),
                               probabilities, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(shm.get_contents_as_numpy(handle, np.int64, [3], offset=page + 3000), labels)
    np.testing.assert_array_equal(shm.get_contents_as_numpy(handle, np.float32, [3, 64], offset=page + 100),
                                  digits_rows)
    assert np.isnan(shm.get_contents_as_numpy(handle, np.float32, [page // 4])).all()


def test_shared_memory_bytes_tensors(regions):
    """BYTES in shared memory use the binary form: a 4-byte little-endian length before each element."""
    model = types_model()
    with client(model) as c:
        meta = c.get_model_metadata(model)
        sent, inputs = {}, []
        for spec in meta.inputs:
            sent[spec.name] = type_sample(spec.datatype, [3, 2])
            inp = grpcclient.InferInput(spec.name, [3, 2], spec.datatype)
            if spec.datatype == "BYTES":
                serialized = serialize_byte_tensor(sent[spec.name])
                size = serialized_byte_size(serialized)
                in_handle, in_key = regions.create("bytes_in", size)
                shm.set_shared_memory_region(in_handle, [serialized])
                regions.register(c, f"bytes_in_{in_key[1:]}", in_key, size, model=model)
                inp.set_shared_memory(f"bytes_in_{in_key[1:]}", size)
            else:
                inp.set_data_from_numpy(sent[spec.name])
            inputs.append(inp)
        out_handle, out_key = regions.create("bytes_out", 1024)
        regions.register(c, f"bytes_out_{out_key[1:]}", out_key, 1024, model=model)
        y_bytes = grpcclient.InferRequestedOutput("y_BYTES")
        y_bytes.set_shared_memory(f"bytes_out_{out_key[1:]}", 512)
        y_fp16 = grpcclient.InferRequestedOutput("y_FP16")
        y_fp16.set_shared_memory(f"bytes_out_{out_key[1:]}", 12, offset=512)
        y_int8 = grpcclient.InferRequestedOutput("y_INT8")
        result = c.infer(model, inputs, outputs=[y_bytes, y_fp16, y_int8])
    got = result.get_output("y_BYTES")
    assert (got.datatype, list(got.shape)) == ("BYTES", [3, 2])
    assert_identity("BYTES", shm.get_contents_as_numpy(out_handle, np.object_, list(got.shape)), sent["x_BYTES"])
    assert_identity("FP16", shm.get_contents_as_numpy(out_handle, np.float16, [3, 2], offset=512), sent["x_FP16"])
    assert_identity("INT8", result.as_numpy("y_INT8"), sent["x_INT8"])


def test_shared_memory_status_and_unregister(regions):
    a_handle, a_key = regions.create("status_a", 256)
    b_handle, b_key = regions.create("status_b", 512)
    a, b = f"a_{a_key[1:]}", f"b_{b_key[1:]}"
    with client() as c:
        regions.register(c, a, a_key, 256)
        regions.register(c, b, b_key, 128)
        status = region_status(c)
        assert status[a] == (a_key, 0, 256) and status[b] == (b_key, 0, 128)
        assert region_status(c, b) == {b: (b_key, 0, 128)}
        as_json = c.get_system_shared_memory_status(region_name=b, as_json=True)
        assert as_json["regions"][b]["key"] == b_key and int(as_json["regions"][b]["byte_size"]) == 128
        c.unregister_system_shared_memory(a)
        status = region_status(c)
        assert a not in status and b in status
        with pytest.raises(InferenceServerException) as err:
            c.get_system_shared_memory_status(region_name=a)
        assert err.value.status() in (NOT_FOUND, INVALID_ARGUMENT) and a in err.value.message()
        c.unregister_system_shared_memory(a)  # unregistering what is not registered succeeds
        c.unregister_system_shared_memory()  # all
        assert region_status(c) == {}
        inp = grpcclient.InferInput("input", [1, 64], "FP32")
        inp.set_shared_memory(b, 256)
        with pytest.raises(InferenceServerException) as err:
            c.infer(DIGITS, [inp])
        assert_error(err, INVALID_ARGUMENT, b)


def test_registering_a_missing_key_or_a_name_twice_is_refused(regions):
    handle, key = regions.create("twice", 256)
    name = f"twice_{key[1:]}"
    with client() as c:
        with pytest.raises(InferenceServerException) as err:
            regions.register(c, f"missing_{key[1:]}", key + "_missing", 64)
        assert_error(err, INVALID_ARGUMENT, key + "_missing")
        regions.register(c, name, key, 256)
        with pytest.raises(InferenceServerException) as err:
            regions.register(c, name, key, 128)
        assert err.value.status() in (INVALID_ARGUMENT, "StatusCode.ALREADY_EXISTS") and name in err.value.message()
        with pytest.raises(InferenceServerException) as err:
            regions.register(c, f"big_{key[1:]}", key, 512)
        assert err.value.status() == INVALID_ARGUMENT
        status = region_status(c)
    assert status.get(name) == (key, 0, 256)
    assert f"missing_{key[1:]}" not in status and f"big_{key[1:]}" not in status


def test_output_region_too_small_is_an_error_and_server_keeps_serving(regions, digits_rows, digits_expected):
    handle, key = regions.create("small", 64)
    name = f"small_{key[1:]}"
    with client() as c:
        regions.register(c, name, key, 64)
        before = statistics(c)
        probs = grpcclient.InferRequestedOutput("probabilities")
        probs.set_shared_memory(name, 64)  # 3 x 10 FP32 is 120 bytes
        with pytest.raises(InferenceServerException) as err:
            c.infer(DIGITS, [digits_input(digits_rows)], outputs=[probs])
        assert_error(err, INVALID_ARGUMENT, "probabilities", name)
        after = statistics(c)
        result = c.infer(DIGITS, [digits_input(digits_rows)])
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])
    d = statistics_delta(before, after)
    assert d["fail.count"] == 1
    assert d["success.count"] == 0 and d["inference_count"] == 0
    assert d["queue.count"] == 0 and d["compute_infer.count"] == 0


def test_shared_memory_input_errors(regions, digits_rows):
    handle, key = regions.create("bad_in", digits_rows.nbytes)
    shm.set_shared_memory_region(handle, [digits_rows])
    name = f"bad_in_{key[1:]}"
    with client() as c:
        regions.register(c, name, key, digits_rows.nbytes)
        cases = [("not_registered", digits_rows.nbytes, 0, "not_registered"),
                 (name, digits_rows.nbytes - 4, 0, "input"),
                 (name, digits_rows.nbytes, 8, name)]
        for region, size, offset, word in cases:
            inp = grpcclient.InferInput("input", [3, 64], "FP32")
            inp.set_shared_memory(region, size, offset=offset)
            with pytest.raises(InferenceServerException) as err:
                c.infer(DIGITS, [inp])
            assert_error(err, INVALID_ARGUMENT, word)


def test_cuda_shared_memory_is_refused():
    with client() as c:
        with pytest.raises(InferenceServerException) as err:
            c.register_cuda_shared_memory("gpu_region", base64.b64encode(b"not a cudaIpcMemHandle"), 0, 16)
        assert err.value.status() in (INVALID_ARGUMENT, "StatusCode.UNIMPLEMENTED")
        assert "CUDA shared memory" in err.value.message() and "not supported" in err.value.message()
        assert len(c.get_cuda_shared_memory_status().regions) == 0
        c.unregister_cuda_shared_memory()
        c.unregister_cuda_shared_memory("gpu_region")
        assert len(c.get_cuda_shared_memory_status().regions) == 0


# ---- model repository -----------------------------------------------------------------------------

def index(c):
    return [(m.name, m.version, m.state) for m in c.get_model_repository_index().models]


def test_repository_index_lists_the_one_model():
    with client() as c:
        assert index(c) == [(DIGITS, "1", "READY")]
        assert c.get_model_repository_index(as_json=True) == {
            "models": [{"name": DIGITS, "version": "1", "state": "READY"}]}


def test_load_is_a_no_op_for_the_served_model_and_refused_for_others():
    with client() as c:
        c.load_model(DIGITS)
        assert c.is_model_ready(DIGITS)
        with pytest.raises(InferenceServerException) as err:
            c.load_model("other_model")
        assert_error(err, INVALID_ARGUMENT, "other_model", "one model")
        with pytest.raises(InferenceServerException) as err:
            c.load_model(DIGITS, config='{"max_batch_size": 4}')
        assert err.value.status() == INVALID_ARGUMENT and DIGITS in err.value.message()
        assert c.get_model_config(DIGITS).config.max_batch_size == 32


def test_unload_is_refused_and_the_model_keeps_serving(digits_rows, digits_expected):
    with client() as c:
        with pytest.raises(InferenceServerException) as err:
            c.unload_model(DIGITS)
        assert_error(err, INVALID_ARGUMENT, DIGITS)
        assert c.is_model_ready(DIGITS)
        assert index(c) == [(DIGITS, "1", "READY")]
        result = c.infer(DIGITS, [digits_input(digits_rows)])
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])
