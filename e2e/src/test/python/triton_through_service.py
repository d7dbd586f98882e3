"""Triton's own clients (tritonclient.http and tritonclient.grpc from PyPI), unchanged, against a
ModelDeployment's Service on the real node, compared with ONNX Runtime run in this process on the
very file the cluster serves (read from the artifact store's volume).

    python triton_through_service.py --http IP:8080 --grpc IP:8081 --model NAME \
        --artifact-model PATH --rows ROWS.npy|REQUEST.json

Prints one JSON line with what it compared; exits non-zero (an AssertionError) on any difference.
"""

import argparse
import json

import numpy as np
import onnxruntime
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient

# The server runs ONNX Runtime 1.23 (Java), this process the onnxruntime wheel: the same kernels
# on the same CPU, so floats agree to the last bits or very close; integers and labels exactly.
RTOL = 1e-6
ATOL = 1e-7


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", required=True)
    parser.add_argument("--grpc", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--artifact-model", required=True)
    parser.add_argument("--rows", required=True)
    args = parser.parse_args()

    session = onnxruntime.InferenceSession(args.artifact_model, providers=["CPUExecutionProvider"])
    (model_input,) = session.get_inputs()
    rows = load_rows(args.rows)
    output_names = [o.name for o in session.get_outputs()]
    expected = dict(zip(output_names, session.run(output_names, {model_input.name: rows})))

    with httpclient.InferenceServerClient(url=args.http) as client:
        assert client.is_server_ready() and client.is_model_ready(args.model)
        inp = httpclient.InferInput(model_input.name, list(rows.shape), "FP32")
        inp.set_data_from_numpy(rows, binary_data=True)
        outs = [httpclient.InferRequestedOutput(n, binary_data=True) for n in output_names]
        result = client.infer(args.model, [inp], outputs=outs)
        compare("http", expected, {n: result.as_numpy(n) for n in output_names})

    with grpcclient.InferenceServerClient(url=args.grpc) as client:
        assert client.is_server_ready() and client.is_model_ready(args.model)
        inp = grpcclient.InferInput(model_input.name, list(rows.shape), "FP32")
        inp.set_data_from_numpy(rows)
        result = client.infer(args.model, [inp])
        compare("grpc", expected, {n: result.as_numpy(n) for n in output_names})

    print(json.dumps({"model": args.model, "rows": int(rows.shape[0]), "outputs": output_names,
                      "compared": ["http", "grpc"]}))


def load_rows(path):
    """float32 rows from a .npy file, or from a V2 JSON request with one input."""
    if path.endswith(".json"):
        with open(path) as f:
            (only,) = json.load(f)["inputs"]
        return np.asarray(only["data"], dtype=np.float32).reshape(only["shape"])
    return np.load(path).astype(np.float32)


def compare(protocol, expected, actual):
    for name, want in expected.items():
        got = actual[name]
        assert got is not None, f"{protocol}: no output {name}"
        assert got.shape == want.shape, f"{protocol}: {name} shape {got.shape} != {want.shape}"
        if np.issubdtype(want.dtype, np.floating):
            np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"{protocol}: {name}")
        else:
            np.testing.assert_array_equal(got, want, err_msg=f"{protocol}: {name}")


if __name__ == "__main__":
    main()
