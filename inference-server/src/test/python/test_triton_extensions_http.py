"""Triton's protocol extensions through Triton's HTTP client (tritonclient.http from PyPI), unchanged:
statistics, model configuration, HTTP compression, system shared memory (CUDA shared memory refused)
and the model repository API, against Modelship's REST endpoint.

Statistics are checked as differences between readings taken around this test's own requests; the
suites share a server only one after another, never at the same time.
"""

import base64
import gzip
import http.client
import json
import time
import zlib

import numpy as np
import pytest
import tritonclient.http as httpclient
import tritonclient.utils.shared_memory as shm
from tritonclient.utils import InferenceServerException, serialize_byte_tensor, serialized_byte_size

from conftest import (assert_error, shm_regions, DIGITS, FIXED_BATCH, MULTI_IO, assert_identity, assert_output, batch_runs, endpoint,
                      model_file_config, shm_key, statistics_delta, type_sample, types_model)


def client(model=DIGITS, **kwargs):
    return httpclient.InferenceServerClient(url=endpoint(model, "http"), **kwargs)


def digits_input(rows, binary=True):
    inp = httpclient.InferInput("input", list(rows.shape), "FP32")
    inp.set_data_from_numpy(rows, binary_data=binary)
    return inp


def statistics(c, model=DIGITS):
    (only,) = c.get_inference_statistics(model)["model_stats"]
    return only


@pytest.fixture
def regions():
    """System shared memory regions this test makes, undone afterwards (conftest.shm_regions)."""
    with shm_regions(client) as made:
        yield made


# ---- server metadata ----------------------------------------------------------------------------

def test_server_metadata_announces_the_extensions():
    with client() as c:
        extensions = set(c.get_server_metadata()["extensions"])
    assert {"binary_tensor_data", "statistics", "model_configuration", "model_repository",
            "system_shared_memory"} <= extensions
    # CUDA shared memory is refused, so it must not be announced.
    assert "cuda_shared_memory" not in extensions


# ---- statistics ---------------------------------------------------------------------------------

def test_statistics_count_requests_rows_and_runs(digits_rows, random_digit_rows, digits_expected):
    """k requests of r rows, one at a time: k successes, k*r rows, k runs of batch size r; times grow."""
    five = random_digit_rows[:5]
    with client() as c:
        before = statistics(c)
        started_ms = time.time() * 1000
        for _ in range(4):
            result = c.infer(DIGITS, [digits_input(digits_rows)])
            np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])
        for _ in range(2):
            c.infer(DIGITS, [digits_input(five, binary=False)])
        finished_ms = time.time() * 1000
        after = statistics(c)
    assert after["name"] == DIGITS and after["version"] == "1"
    d = statistics_delta(before, after)
    assert d["success.count"] == 6
    assert d["fail.count"] == 0
    assert d["inference_count"] == 4 * 3 + 2 * 5
    assert d["execution_count"] == 6
    for kind in ("queue", "compute_input", "compute_infer", "compute_output"):
        assert d[f"{kind}.count"] == 6, kind
    for kind in ("success", "compute_input", "compute_infer", "compute_output"):
        assert d[f"{kind}.ns"] > 0, f"{kind}.ns did not grow: { {k: v for k, v in d.items() if '[' not in k} }"
    assert d["queue.ns"] >= 0
    # A request's duration holds its queueing and its computing.
    assert d["success.ns"] >= d["queue.ns"] + d["compute_input.ns"] + d["compute_infer.ns"] + d["compute_output.ns"]
    assert d["cache_hit.count"] == 0 and d["cache_miss.count"] == 0
    assert batch_runs(d) == {3: 4, 5: 2}
    for size, runs in ((3, 4), (5, 2)):
        for kind in ("compute_input", "compute_output"):
            assert d[f"batch[{size}].{kind}.count"] == runs, (size, kind)
        assert d[f"batch[{size}].compute_infer.ns"] > 0
    # Milliseconds since the epoch, of the last of these requests.
    assert started_ms - 2000 <= after["last_inference"] <= finished_ms + 2000
    assert after["last_inference"] > before["last_inference"]


def test_statistics_count_a_refused_request_as_a_failure(digits_rows, digits_expected):
    wrong = httpclient.InferInput("input", [3, 64], "FP64")
    wrong.set_data_from_numpy(digits_rows.astype(np.float64), binary_data=True)
    with client() as c:
        before = statistics(c)
        with pytest.raises(InferenceServerException) as err:
            c.infer(DIGITS, [wrong])
        assert_error(err, "400", "FP64")
        middle = statistics(c)
        c.infer(DIGITS, [digits_input(digits_rows)])
        after = statistics(c)
    d = statistics_delta(before, middle)
    assert d["fail.count"] == 1
    assert d["success.count"] == 0 and d["inference_count"] == 0 and d["execution_count"] == 0
    assert d["queue.count"] == 0 and d["compute_infer.count"] == 0
    assert d["fail.ns"] >= 0
    # The failure does not disturb the next request's counts.
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
    sizes = [1, 2, 3, 4] * 6
    slices, start = [], 0
    for n in sizes:
        slices.append(random_digit_rows[start % 28:start % 28 + n])
        start += n
    with client(concurrency=8) as c:
        before = statistics(c)
        pending = [c.async_infer(DIGITS, [digits_input(rows)]) for rows in slices]
        results = [p.get_result() for p in pending]
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
        everything = c.get_inference_statistics()["model_stats"]
        assert [(s["name"], s["version"]) for s in everything] == [(DIGITS, "1")]
        (by_version,) = c.get_inference_statistics(DIGITS, model_version="1")["model_stats"]
        assert (by_version["name"], by_version["version"]) == (DIGITS, "1")
        for kind in ("success", "fail", "queue", "compute_input", "compute_infer", "compute_output", "cache_hit",
                     "cache_miss"):
            assert set(by_version["inference_stats"][kind]) == {"count", "ns"}, kind
        with pytest.raises(InferenceServerException) as err:
            c.get_inference_statistics("no_such_model")
        assert_error(err, "404", "no_such_model")
        with pytest.raises(InferenceServerException) as err:
            c.get_inference_statistics(DIGITS, model_version="2")
        assert_error(err, "404")


# ---- model configuration --------------------------------------------------------------------------

def tensors(config_list):
    return [(t["name"], t["data_type"], list(t["dims"])) for t in config_list]


def test_model_config_of_digits():
    want = model_file_config(DIGITS)
    # What the model file says, spelled out: the batch dimension is left out of dims.
    assert want["input"] == [("input", "TYPE_FP32", [64])]
    assert want["output"] == [("label", "TYPE_INT64", []), ("probabilities", "TYPE_FP32", [10])]
    with client() as c:
        config = c.get_model_config(DIGITS)
        assert c.get_model_config(DIGITS, model_version="1") == config
    assert config["name"] == DIGITS
    assert config["platform"] == "onnxruntime_onnx"
    assert config["backend"] == "onnxruntime"
    assert config["max_batch_size"] == 32
    assert tensors(config["input"]) == want["input"]
    assert sorted(tensors(config["output"])) == sorted(want["output"])
    assert config["dynamic_batching"].get("max_queue_delay_microseconds", 0) == 0
    assert [(g["kind"], g["count"]) for g in config["instance_group"]] == [("KIND_CPU", 1)]


@pytest.mark.parametrize("which", ["multi_io", "all_types", "fixed_batch"])
def test_model_config_matches_the_model_file(which):
    """Every Triton type name (BYTES is TYPE_STRING), open dims as -1, and a model without an open
    first dimension: max_batch_size 0 and the full shape."""
    model = {"multi_io": MULTI_IO, "all_types": types_model(), "fixed_batch": FIXED_BATCH}[which]
    want = model_file_config(model)
    with client(model) as c:
        config = c.get_model_config(model)
    assert config["name"] == model
    assert config["platform"] == "onnxruntime_onnx" and config["backend"] == "onnxruntime"
    assert config["max_batch_size"] == want["max_batch_size"]
    assert tensors(config["input"]) == want["input"]
    assert sorted(tensors(config["output"])) == sorted(want["output"])
    if want["max_batch_size"] > 0:
        assert "dynamic_batching" in config
    if which == "all_types":
        assert ("x_BYTES", "TYPE_STRING", [-1]) in tensors(config["input"])
        assert ("y_FP16", "TYPE_FP16", [-1]) in tensors(config["output"])
    if which == "fixed_batch":
        assert want["max_batch_size"] == 0 and want["input"] == [("x", "TYPE_FP32", [1, 4])]


def test_model_config_of_an_unknown_model_is_404():
    with client() as c, pytest.raises(InferenceServerException) as err:
        c.get_model_config("no_such_model")
    assert_error(err, "404", "no_such_model")
    with client() as c, pytest.raises(InferenceServerException) as err:
        c.get_model_config(DIGITS, model_version="2")
    assert_error(err, "404")


# ---- compression ----------------------------------------------------------------------------------

@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
@pytest.mark.parametrize("direction", ["request", "response", "both"])
def test_compression(digits_rows, digits_expected, direction, algorithm, binary):
    """request_compression_algorithm / response_compression_algorithm: the same answer as uncompressed."""
    outputs = [httpclient.InferRequestedOutput(n, binary_data=binary) for n in ("label", "probabilities")]
    with client() as c:
        plain = c.infer(DIGITS, [digits_input(digits_rows, binary)], outputs=outputs)
        packed = c.infer(DIGITS, [digits_input(digits_rows, binary)], outputs=outputs,
                         request_compression_algorithm=algorithm if direction in ("request", "both") else None,
                         response_compression_algorithm=algorithm if direction in ("response", "both") else None)
    np.testing.assert_array_equal(packed.as_numpy("label"), digits_expected[0])
    np.testing.assert_allclose(packed.as_numpy("probabilities"), digits_expected[1], rtol=0, atol=1e-5)
    np.testing.assert_array_equal(packed.as_numpy("probabilities"), plain.as_numpy("probabilities"))
    for out in packed.get_response()["outputs"]:
        assert ("binary_data_size" in out.get("parameters", {})) == binary


def raw_post(model, path, body, headers):
    host, port = endpoint(model, "http").rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def json_request(rows):
    return json.dumps({"inputs": [{"name": "input", "shape": list(rows.shape), "datatype": "FP32",
                                   "data": rows.ravel().tolist()}]}).encode()


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_response_is_compressed_on_the_wire(digits_rows, digits_expected, algorithm):
    """tritonclient decompresses silently; on the wire the body must really be compressed as asked."""
    status, headers, body = raw_post(DIGITS, f"/v2/models/{DIGITS}/infer", json_request(digits_rows),
                                     {"Content-Type": "application/json", "Accept-Encoding": algorithm})
    assert status == 200
    assert headers.get("content-encoding") == algorithm
    text = gzip.decompress(body) if algorithm == "gzip" else zlib.decompress(body)
    outputs = {o["name"]: o for o in json.loads(text)["outputs"]}
    assert outputs["label"]["data"] == digits_expected[0].tolist()


@pytest.mark.parametrize("algorithm", ["gzip", "deflate"])
def test_body_that_is_not_what_content_encoding_says_is_refused(digits_rows, digits_expected, algorithm):
    """A plain body announced as compressed: an error answer (4xx with the protocol's error JSON), not a
    dropped connection; and the server keeps serving."""
    status, _, body = raw_post(DIGITS, f"/v2/models/{DIGITS}/infer", json_request(digits_rows),
                               {"Content-Type": "application/json", "Content-Encoding": algorithm})
    assert 400 <= status < 500, (status, body)
    assert "error" in json.loads(body)
    with client() as c:
        result = c.infer(DIGITS, [digits_input(digits_rows)], request_compression_algorithm=algorithm)
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])


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
        inp = httpclient.InferInput("input", [3, 64], "FP32")
        inp.set_shared_memory(f"in_{in_key[1:]}", digits_rows.nbytes)
        label = httpclient.InferRequestedOutput("label")
        label.set_shared_memory(f"out_{out_key[1:]}", label_size)
        probs = httpclient.InferRequestedOutput("probabilities")
        probs.set_shared_memory(f"out_{out_key[1:]}", probabilities_size, offset=label_size)
        result = c.infer(DIGITS, [inp], outputs=[label, probs])
    got_label, got_probs = result.get_output("label"), result.get_output("probabilities")
    assert (got_label["datatype"], got_label["shape"]) == ("INT64", [3])
    assert (got_probs["datatype"], got_probs["shape"]) == ("FP32", [3, 10])
    # Nothing of the tensors travels in the response.
    assert "data" not in got_label and "binary_data_size" not in got_label.get("parameters", {})
    np.testing.assert_array_equal(shm.get_contents_as_numpy(out_handle, np.int64, got_label["shape"]), labels)
    np.testing.assert_allclose(
        shm.get_contents_as_numpy(out_handle, np.float32, got_probs["shape"], offset=label_size),
        probabilities, rtol=0, atol=1e-5)


@pytest.mark.parametrize("binary", [False, True], ids=["json", "binary"])
def test_shared_memory_output_next_to_an_output_in_the_response(regions, digits_rows, digits_expected, binary):
    labels, probabilities = digits_expected
    out_handle, out_key = regions.create(f"mixed_{int(binary)}", 64)
    name = f"mixed_{out_key[1:]}"
    with client() as c:
        regions.register(c, name, out_key, 64)
        label = httpclient.InferRequestedOutput("label", binary_data=binary)
        label.set_shared_memory(name, 64)
        probs = httpclient.InferRequestedOutput("probabilities", binary_data=binary)
        result = c.infer(DIGITS, [digits_input(digits_rows, binary)], outputs=[label, probs])
    np.testing.assert_allclose(result.as_numpy("probabilities"), probabilities, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(shm.get_contents_as_numpy(out_handle, np.int64, [3]), labels)


def test_shared_memory_offsets(regions, digits_rows, digits_expected):
    """A region registered one page into its shared memory object, and tensors at offsets inside regions."""
    page = 4096
    labels, probabilities = digits_expected
    handle, key = regions.create("offsets", 2 * page)
    garbage = np.full(page // 4, np.nan, np.float32)
    shm.set_shared_memory_region(handle, [garbage])  # before the region: must never be read
    shm.set_shared_memory_region(handle, [digits_rows], offset=page + 100)
    name = f"offsets_{key[1:]}"
    with client() as c:
        # Region = bytes [page, 2*page) of the object; the input is 100 bytes into it.
        regions.register(c, name, key, page, offset=page)
        status = {r["name"]: r for r in c.get_system_shared_memory_status()}
        assert (status[name]["key"], int(status[name]["offset"]), int(status[name]["byte_size"])) == (key, page, page)
        inp = httpclient.InferInput("input", [3, 64], "FP32")
        inp.set_shared_memory(name, digits_rows.nbytes, offset=100)
        probs = httpclient.InferRequestedOutput("probabilities")
        probs.set_shared_memory(name, probabilities.size * 4, offset=2000)  # 2000 bytes into the region
        label = httpclient.InferRequestedOutput("label")
        label.set_shared_memory(name, labels.size * 8, offset=3000)
        result = c.infer(DIGITS, [inp], outputs=[probs, label])
    assert result.get_output("label")["shape"] == [3]
    np.testing.assert_allclose(shm.get_contents_as_numpy(handle, np.float32, [3, 10], offset=page + 2000),
                               probabilities, rtol=0, atol=1e-5)
    np.testing.assert_array_equal(shm.get_contents_as_numpy(handle, np.int64, [3], offset=page + 3000), labels)
    # The input stayed where it was, and nothing was written before the region.
    np.testing.assert_array_equal(shm.get_contents_as_numpy(handle, np.float32, [3, 64], offset=page + 100),
                                  digits_rows)
    assert np.isnan(shm.get_contents_as_numpy(handle, np.float32, [page // 4])).all()


def test_shared_memory_bytes_tensors(regions):
    """BYTES in shared memory use the binary form: a 4-byte little-endian length before each element."""
    model = types_model()
    with client(model) as c:
        meta = c.get_model_metadata(model)
        sent, inputs = {}, []
        for spec in meta["inputs"]:
            sent[spec["name"]] = type_sample(spec["datatype"], [2, 3])
            inp = httpclient.InferInput(spec["name"], [2, 3], spec["datatype"])
            if spec["datatype"] == "BYTES":
                serialized = serialize_byte_tensor(sent[spec["name"]])
                size = serialized_byte_size(serialized)
                in_handle, in_key = regions.create("bytes_in", size)
                shm.set_shared_memory_region(in_handle, [serialized])
                regions.register(c, f"bytes_in_{in_key[1:]}", in_key, size, model=model)
                inp.set_shared_memory(f"bytes_in_{in_key[1:]}", size)
            else:
                inp.set_data_from_numpy(sent[spec["name"]], binary_data=True)
            inputs.append(inp)
        out_handle, out_key = regions.create("bytes_out", 1024)
        regions.register(c, f"bytes_out_{out_key[1:]}", out_key, 1024, model=model)
        y_bytes = httpclient.InferRequestedOutput("y_BYTES")
        y_bytes.set_shared_memory(f"bytes_out_{out_key[1:]}", 512)
        y_fp16 = httpclient.InferRequestedOutput("y_FP16")
        y_fp16.set_shared_memory(f"bytes_out_{out_key[1:]}", 12, offset=512)
        y_int8 = httpclient.InferRequestedOutput("y_INT8", binary_data=True)
        result = c.infer(model, inputs, outputs=[y_bytes, y_fp16, y_int8])
    got = result.get_output("y_BYTES")
    assert (got["datatype"], got["shape"]) == ("BYTES", [2, 3])
    assert_identity("BYTES", shm.get_contents_as_numpy(out_handle, np.object_, got["shape"]), sent["x_BYTES"])
    assert_identity("FP16", shm.get_contents_as_numpy(out_handle, np.float16, [2, 3], offset=512), sent["x_FP16"])
    assert_identity("INT8", result.as_numpy("y_INT8"), sent["x_INT8"])


def test_shared_memory_status_and_unregister(regions):
    a_handle, a_key = regions.create("status_a", 256)
    b_handle, b_key = regions.create("status_b", 512)
    a, b = f"a_{a_key[1:]}", f"b_{b_key[1:]}"
    with client() as c:
        regions.register(c, a, a_key, 256)
        regions.register(c, b, b_key, 128, offset=0)
        status = {r["name"]: (r["key"], int(r["offset"]), int(r["byte_size"]))
                  for r in c.get_system_shared_memory_status()}
        assert status[a] == (a_key, 0, 256) and status[b] == (b_key, 0, 128)
        (only,) = c.get_system_shared_memory_status(region_name=b)
        assert (only["name"], only["key"], int(only["byte_size"])) == (b, b_key, 128)
        c.unregister_system_shared_memory(a)
        names = {r["name"] for r in c.get_system_shared_memory_status()}
        assert a not in names and b in names
        with pytest.raises(InferenceServerException) as err:
            c.get_system_shared_memory_status(region_name=a)
        assert err.value.status() in ("400", "404") and a in err.value.message()
        c.unregister_system_shared_memory(a)  # unregistering what is not registered succeeds
        c.unregister_system_shared_memory()  # all
        assert c.get_system_shared_memory_status() == []
        # A region that is gone cannot be used.
        inp = httpclient.InferInput("input", [1, 64], "FP32")
        inp.set_shared_memory(b, 256)
        with pytest.raises(InferenceServerException) as err:
            c.infer(DIGITS, [inp])
        assert_error(err, "400", b)


def test_registering_a_missing_key_or_a_name_twice_is_refused(regions):
    handle, key = regions.create("twice", 256)
    name = f"twice_{key[1:]}"
    with client() as c:
        with pytest.raises(InferenceServerException) as err:
            regions.register(c, f"missing_{key[1:]}", key + "_missing", 64)
        assert_error(err, "400", key + "_missing")
        regions.register(c, name, key, 256)
        with pytest.raises(InferenceServerException) as err:
            regions.register(c, name, key, 128)
        assert err.value.status() == "400" and name in err.value.message()
        with pytest.raises(InferenceServerException) as err:
            regions.register(c, f"big_{key[1:]}", key, 512)  # larger than the object
        assert err.value.status() == "400"
        status = {r["name"]: int(r["byte_size"]) for r in c.get_system_shared_memory_status()}
    # The first registration stands, unchanged; the refused ones left nothing behind.
    assert status.get(name) == 256
    assert f"missing_{key[1:]}" not in status and f"big_{key[1:]}" not in status


def test_output_region_too_small_is_an_error_and_server_keeps_serving(regions, digits_rows, digits_expected):
    handle, key = regions.create("small", 64)
    name = f"small_{key[1:]}"
    with client() as c:
        regions.register(c, name, key, 64)
        before = statistics(c)
        probs = httpclient.InferRequestedOutput("probabilities")
        probs.set_shared_memory(name, 64)  # 3 x 10 FP32 is 120 bytes
        with pytest.raises(InferenceServerException) as err:
            c.infer(DIGITS, [digits_input(digits_rows)], outputs=[probs])
        assert err.value.status().startswith("4"), err.value.status()
        assert "probabilities" in err.value.message() and name in err.value.message()
        after = statistics(c)
        result = c.infer(DIGITS, [digits_input(digits_rows)])
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])
    d = statistics_delta(before, after)
    # Answered with an error, so a failure: not a success, and its rows were not inferred for anyone.
    assert d["fail.count"] == 1
    assert d["success.count"] == 0 and d["inference_count"] == 0
    assert d["queue.count"] == 0 and d["compute_infer.count"] == 0


def test_shared_memory_input_errors(regions, digits_rows):
    handle, key = regions.create("bad_in", digits_rows.nbytes)
    shm.set_shared_memory_region(handle, [digits_rows])
    name = f"bad_in_{key[1:]}"
    with client() as c:
        regions.register(c, name, key, digits_rows.nbytes)
        cases = [("not_registered", digits_rows.nbytes, 0, "not_registered"),  # no such region
                 (name, digits_rows.nbytes - 4, 0, "input"),  # size is not 3 x 64 FP32
                 (name, digits_rows.nbytes, 8, name)]  # runs past the end of the region
        for region, size, offset, word in cases:
            inp = httpclient.InferInput("input", [3, 64], "FP32")
            inp.set_shared_memory(region, size, offset=offset)
            with pytest.raises(InferenceServerException) as err:
                c.infer(DIGITS, [inp])
            assert_error(err, "400", word)


def test_cuda_shared_memory_is_refused():
    with client() as c:
        with pytest.raises(InferenceServerException) as err:
            c.register_cuda_shared_memory("gpu_region", base64.b64encode(b"not a cudaIpcMemHandle").decode(), 0, 16)
        assert err.value.status() in ("400", "501")  # 501: Triton's answer for an unsupported feature
        assert "CUDA shared memory" in err.value.message() and "not supported" in err.value.message()
        assert c.get_cuda_shared_memory_status() == []
        c.unregister_cuda_shared_memory()
        c.unregister_cuda_shared_memory("gpu_region")
        assert c.get_cuda_shared_memory_status() == []


# ---- model repository -----------------------------------------------------------------------------

def test_repository_index_lists_the_one_model():
    with client() as c:
        assert c.get_model_repository_index() == [{"name": DIGITS, "version": "1", "state": "READY"}]


def test_load_is_a_no_op_for_the_served_model_and_refused_for_others():
    with client() as c:
        c.load_model(DIGITS)
        assert c.is_model_ready(DIGITS)
        with pytest.raises(InferenceServerException) as err:
            c.load_model("other_model")
        assert_error(err, "400", "other_model", "one model")
        with pytest.raises(InferenceServerException) as err:
            c.load_model(DIGITS, config=json.dumps({"max_batch_size": 4}))
        assert err.value.status() == "400" and DIGITS in err.value.message()
        assert c.get_model_config(DIGITS)["max_batch_size"] == 32


def test_unload_is_refused_and_the_model_keeps_serving(digits_rows, digits_expected):
    with client() as c:
        with pytest.raises(InferenceServerException) as err:
            c.unload_model(DIGITS)
        assert_error(err, "400", DIGITS)
        assert c.is_model_ready(DIGITS)
        assert c.get_model_repository_index() == [{"name": DIGITS, "version": "1", "state": "READY"}]
        result = c.infer(DIGITS, [digits_input(digits_rows)])
    np.testing.assert_array_equal(result.as_numpy("label"), digits_expected[0])
