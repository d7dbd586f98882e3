"""Writes an MLServer model repository for one ONNX file served by onnx_runtime.py.

    make_repo.py DIR MODEL.onnx HTTP_PORT BATCHING(0|1) INTRA_OP_THREADS

HTTP on 127.0.0.1:HTTP_PORT, gRPC on +1, metrics on +2 (all loopback). With BATCHING=1
MLServer's adaptive batching gathers up to 32 requests or 1 ms, the nearest it has to
Modelship's batcher (which waits 0 ms; MLServer has no "take only what is queued").
Everything else is MLServer's default (one parallel inference worker process).
"""
import json
import os
import sys

out, model, port, batching, intra = sys.argv[1], os.path.abspath(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == "1", int(sys.argv[5])
name = os.path.splitext(os.path.basename(model))[0]
os.makedirs(os.path.join(out, name), exist_ok=True)
with open(os.path.join(out, "settings.json"), "w") as f:
    json.dump({"host": "127.0.0.1", "http_port": port, "grpc_port": port + 1, "metrics_port": port + 2,
               "debug": False, "load_models_at_startup": True}, f, indent=2)
settings = {
    "name": name,
    "implementation": "onnx_runtime.OnnxRuntime",
    "parameters": {"uri": model, "extra": {"intra_op_threads": intra}},
}
if batching:
    settings.update(max_batch_size=32, max_batch_time=0.001)
with open(os.path.join(out, name, "model-settings.json"), "w") as f:
    json.dump(settings, f, indent=2)
