"""Serve the Modelship int8 BERT artifact and check it through Triton's client.

Starts the inference server (quarkus-run.jar) on free loopback ports with the artifact
directory the optimizer wrote for `graph-optimize + quantize-dynamic` (found in
work/results.jsonl, or --artifact), waits for /v2/health/ready, reads the model's metadata
(inputs `input_ids`, `attention_mask` INT64 [-1, -1]), and sends the first --n evaluation
sequences as INT64 tensors with tritonclient over HTTP and over gRPC, one request at a time at
batch 1 and at batch 8. Every served `logits` tensor is compared with onnxruntime in this process
running the same artifact file on the same batch (dynamic int8 quantizes activations with a scale
per tensor, so a row's result depends on the rows it is batched with: requests are sent one at a
time so the server runs each one alone). Passes when every difference is within --tol (1e-4).
Also prints the served median latency, and the served argmax agreement with the fp32 model on
all 256 evaluation sequences (HTTP, batch 8). The server is stopped (SIGTERM, by its pid) at the end.

The in-process reference must be the ONNX Runtime version the server bundles (the jar in
<server-app>/lib/main): int8 kernels differ between versions (measured on 2026-11-29: up to
0.45 in a logit between onnxruntime 1.32.0 and 1.23.2, the server's version then, on this artifact;
fp32 agrees to ~1e-5). run.sh therefore
runs this script from its own small venv, .venv-serve (requirements-serve.txt).

  python bench/transformer/serve_check.py [--artifact DIR] [--server-app DIR] [--n 32]
Env: MODELSHIP_SERVER_APP (default inference-server/target/quarkus-app).
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def default_artifact(work):
    with open(os.path.join(work, "results.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if r.get("variant") == "modelship go + quantize-dynamic" and r.get("artifact"):
                return r["artifact"]
    raise SystemExit("no 'modelship go + quantize-dynamic' artifact in results.jsonl: run bench_transformer.py or give --artifact")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--artifact")
    ap.add_argument("--server-app", default=os.environ.get("MODELSHIP_SERVER_APP",
                                                           os.path.join(REPO, "inference-server", "target", "quarkus-app")))
    ap.add_argument("--n", type=int, default=32)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--latency-runs", type=int, default=20)
    args = ap.parse_args()
    import tritonclient.grpc as grpcclient
    import tritonclient.http as httpclient

    artifact = args.artifact or default_artifact(args.work)
    jars = [j for j in os.listdir(os.path.join(args.server_app, "lib", "main")) if "onnxruntime" in j]
    print(f"in-process onnxruntime {ort.__version__}; server bundles {', '.join(jars)}", flush=True)
    manifest = json.load(open(os.path.join(artifact, "manifest.json")))
    model_file = os.path.join(artifact, manifest["output"]["file"])
    ev = np.load(os.path.join(args.work, "eval.npz"))
    ids, mask = ev["input_ids"][:args.n], ev["attention_mask"][:args.n]

    http_port, grpc_port = free_port(), free_port()
    cmd = ["java", f"-Dquarkus.http.port={http_port}", f"-Dquarkus.grpc.server.port={grpc_port}",
           "-Dquarkus.http.host=127.0.0.1", "-Dquarkus.grpc.server.host=127.0.0.1",
           f"-Dmodelship.model.path={artifact}", "-Dmodelship.model.name=bert",
           "-Dmodelship.shutdown.drain=0s", "-jar", os.path.join(args.server_app, "quarkus-run.jar")]
    print(" ".join(cmd), flush=True)
    logf = open(os.path.join(args.work, "server.log"), "w")
    t0 = time.time()
    server = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
    ok = False
    try:
        while time.time() - t0 < 300:
            if server.poll() is not None:
                raise SystemExit(f"server exited {server.returncode}; see {logf.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v2/health/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            except Exception:
                pass
            time.sleep(1)
        else:
            raise SystemExit("server not ready in 300 s")
        print(f"ready in {time.time() - t0:.1f} s (load, sha256 check and warm-up)", flush=True)

        hc = httpclient.InferenceServerClient(f"127.0.0.1:{http_port}", network_timeout=120, connection_timeout=120)
        gc = grpcclient.InferenceServerClient(f"127.0.0.1:{grpc_port}")
        meta = hc.get_model_metadata("bert")
        print("metadata:", json.dumps(meta))
        gmeta = gc.get_model_metadata("bert", as_json=True)
        assert {i["name"]: i["datatype"] for i in meta["inputs"]} == {"input_ids": "INT64", "attention_mask": "INT64"}, meta
        assert {i["name"]: i["datatype"] for i in gmeta["inputs"]} == {"input_ids": "INT64", "attention_mask": "INT64"}, gmeta

        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        local = ort.InferenceSession(model_file, so, providers=["CPUExecutionProvider"])

        def infer(client, mod, x, m):
            inputs = []
            for name, arr in (("input_ids", x), ("attention_mask", m)):
                i = mod.InferInput(name, list(arr.shape), "INT64")
                if mod is httpclient:
                    i.set_data_from_numpy(arr, binary_data=True)
                else:
                    i.set_data_from_numpy(arr)
                inputs.append(i)
            outs = [mod.InferRequestedOutput("logits", binary_data=True) if mod is httpclient
                    else mod.InferRequestedOutput("logits")]
            return client.infer("bert", inputs, outputs=outs).as_numpy("logits")

        worst, argmax_same, checked = 0.0, 0, 0
        for proto, client, mod in (("http", hc, httpclient), ("grpc", gc, grpcclient)):
            for batch in (1, 8):
                w = 0.0
                for s in range(0, len(ids), batch):
                    x, m = ids[s:s + batch], mask[s:s + batch]
                    served = infer(client, mod, x, m)
                    expected = local.run(None, {"input_ids": x, "attention_mask": m})[0]
                    assert served.dtype == np.float32 and served.shape == expected.shape, (served.dtype, served.shape)
                    w = max(w, float(np.abs(served - expected).max()))
                    argmax_same += int((served.argmax(1) == expected.argmax(1)).sum())
                    checked += len(x)
                print(f"{proto} batch {batch}: {len(ids)} sequences, max |served - in-process| = {w:.3g}", flush=True)
                worst = max(worst, w)
            times = []
            x, m = ids[:1], mask[:1]
            for _ in range(args.latency_runs):
                t = time.perf_counter()
                infer(client, mod, x, m)
                times.append(time.perf_counter() - t)
            print(f"{proto} batch 1 served latency: median {1000 * np.median(times):.1f} ms over {args.latency_runs} calls", flush=True)
        full = np.load(os.path.join(args.work, "eval.npz"))
        ref_path = os.path.join(args.work, "logits", "fp32.npy")
        if os.path.exists(ref_path):
            ref = np.load(ref_path)
            served = np.concatenate([infer(hc, httpclient, full["input_ids"][i:i + 8], full["attention_mask"][i:i + 8])
                                     for i in range(0, len(ref), 8)])
            print(f"served int8 vs fp32 (in-process) on {len(ref)} sequences: argmax agreement "
                  f"{np.mean(served.argmax(1) == ref.argmax(1)):.4f}, max abs error {np.abs(served - ref).max():.3g}", flush=True)
        ok = worst <= args.tol
        print(f"max abs difference {worst:.3g} (tolerance {args.tol}); argmax equal on {argmax_same}/{checked}: "
              f"{'PASS' if ok else 'FAIL'}", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        logf.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
