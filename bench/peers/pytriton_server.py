"""PyTriton peer: Triton Inference Server (from PyPI's nvidia-pytriton) serving an ONNX file.

    pytriton_server.py MODEL.onnx HTTP_PORT NAME [INTRA_OP_THREADS] [MAX_QUEUE_DELAY_US]

nvidia-pytriton 0.7.0 bundles tritonserver 2.51.0 with the Python backend only: there is no
ONNX Runtime backend in it (and Triton's C++ ONNX Runtime backend is not obtainable here),
so the model is onnxruntime running in a Python callable behind Triton's HTTP front end and
dynamic batcher (`@batch`, max_batch_size 32, max_queue_delay MAX_QUEUE_DELAY_US µs,
default 0 like Modelship's). onnxruntime session options as Modelship's server: intra-op
threads INTRA_OP_THREADS (default 1), inter-op 1, all graph optimisations.

HTTP (V2 REST) on 127.0.0.1:HTTP_PORT, gRPC on +1, metrics on +2, all loopback.
PyTriton 0.7's token guard (`triton-access-token` header) is turned off
(TritonSecurityConfig(restricted_endpoints=[])); it never guarded inference anyway.
"""
import os
import sys
import sysconfig

import numpy as np
import onnxruntime as ort
from pytriton.decorators import batch
from pytriton.model_config import DynamicBatcher, ModelConfig, Tensor
from pytriton.triton import Triton, TritonConfig, TritonSecurityConfig

NP = {"tensor(float)": np.float32, "tensor(double)": np.float64, "tensor(int64)": np.int64,
      "tensor(int32)": np.int32, "tensor(string)": np.bytes_, "tensor(bool)": np.bool_}


def main():
    model, port, name = os.path.abspath(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    intra = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    delay_us = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    # The Python backend's stub (a child of tritonserver) links libpython3.11; without this it
    # picks up Debian's 3.11.2 and fails ("'_thread.RLock' object has no attribute
    # '_recursion_count'") — point it at this interpreter's own library.
    libdir = sysconfig.get_config_var("LIBDIR")
    os.environ["LD_LIBRARY_PATH"] = libdir + (":" + os.environ["LD_LIBRARY_PATH"]
                                              if os.environ.get("LD_LIBRARY_PATH") else "")

    so = ort.SessionOptions()
    so.intra_op_num_threads = intra
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    in_names = [i.name for i in session.get_inputs()]
    out_names = [o.name for o in session.get_outputs()]

    # The batch dimension is left out (max_batch_size > 0). Triton needs dims on every output,
    # so a per-row scalar (digits_mlp's label, shape [N]) is declared [1] and answered as
    # [N, 1] (Modelship answers [N]; the values are the same).
    def dims(shape):
        rest = tuple(-1 if not isinstance(d, int) else d for d in shape[1:])
        return rest or (1,)

    inputs = [Tensor(name=i.name, dtype=NP[i.type], shape=dims(i.shape)) for i in session.get_inputs()]
    outputs = [Tensor(name=o.name, dtype=NP[o.type], shape=dims(o.shape)) for o in session.get_outputs()]

    @batch
    def infer(**feeds):
        results = session.run(out_names, {n: feeds[n] for n in in_names})
        return {n: (r.reshape(-1, 1) if r.ndim == 1 else r) for n, r in zip(out_names, results)}

    config = TritonConfig(http_address="127.0.0.1", http_port=port, grpc_address="127.0.0.1", grpc_port=port + 1,
                          metrics_port=port + 2, allow_gpu_metrics=False)
    with Triton(config=config, security_config=TritonSecurityConfig(restricted_endpoints=[])) as triton:
        triton.bind(model_name=name, infer_func=infer, inputs=inputs, outputs=outputs,
                    config=ModelConfig(max_batch_size=32,
                                       batcher=DynamicBatcher(max_queue_delay_microseconds=delay_us)),
                    strict=False)
        triton.serve()


if __name__ == "__main__":
    main()
