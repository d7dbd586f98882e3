"""KServe peer: KServe's Python model server (PyPI `kserve` 0.21.0) serving an ONNX file.

    kserve_server.py MODEL.onnx HTTP_PORT NAME [INTRA_OP_THREADS]

A kserve.Model whose predict runs onnxruntime on the decoded V2 inputs (InferInput.as_numpy)
and answers every model output as JSON data; served by kserve.ModelServer with its defaults
except: one uvicorn worker (as the other servers run one inference worker), gRPC off (only
V2 REST is measured), and no log line per request (neither `enable_latency_logging`, nor
uvicorn's access log, nor the TimingMiddleware's `kserve.trace` lines; MLServer writes none either unless in debug mode). A request without
an `id` gets a generated one (KServe's answer model requires it).
KServe's model server has no dynamic batching for the V2 protocol: every request is one
onnxruntime call (batch of 1 row here). onnxruntime session options as Modelship's server:
intra-op threads INTRA_OP_THREADS (default 1), inter-op 1, all graph optimisations.

KServe's REST server binds 0.0.0.0 (hard-coded in kserve.protocol.rest.server); here uvicorn's
Config is patched to bind 127.0.0.1 instead, as every benchmark process listens on loopback only.
Arguments are positional: kserve parses sys.argv itself at import (parse_known_args, with
abbreviations), so no option of ours may look like one of its own.
"""
import logging
import os
import sys

import uvicorn


class _LoopbackConfig(uvicorn.Config):
    def __init__(self, *args, **kwargs):
        kwargs["host"] = "127.0.0.1"
        super().__init__(*args, **kwargs)


uvicorn.Config = _LoopbackConfig

import onnxruntime as ort  # noqa: E402
from kserve import InferOutput, InferRequest, InferResponse, Model, ModelServer  # noqa: E402
from kserve.utils.numpy_codec import from_np_dtype  # noqa: E402
from kserve.utils.utils import generate_uuid  # noqa: E402


class OnnxModel(Model):
    def __init__(self, name, path, intra):
        super().__init__(name)
        self.path = path
        self.intra = intra

    def load(self):
        so = ort.SessionOptions()
        so.intra_op_num_threads = self.intra
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(self.path, so, providers=["CPUExecutionProvider"])
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.ready = True
        return self.ready

    def predict(self, payload: InferRequest, headers=None) -> InferResponse:
        feeds = {i.name: i.as_numpy() for i in payload.inputs}
        results = self.session.run(self.outputs, feeds)
        outs = []
        for n, r in zip(self.outputs, results):
            o = InferOutput(name=n, shape=list(r.shape), datatype=from_np_dtype(r.dtype))
            o.set_data_from_numpy(r, binary_data=False)
            outs.append(o)
        return InferResponse(response_id=payload.id or generate_uuid(), model_name=self.name, infer_outputs=outs)


def main():
    model, port, name = os.path.abspath(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    intra = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    m = OnnxModel(name, model, intra)
    m.load()
    server = ModelServer(http_port=port, grpc_port=port + 1, workers=1, enable_grpc=False,
                         enable_latency_logging=False)
    # no access-log line per request (MLServer has none unless debug; ModelServer() has just
    # configured logging, so this comes after it)
    logging.getLogger("uvicorn.access").disabled = True
    # nor the two "kserve.trace" lines per request of the REST server's TimingMiddleware (it
    # still times every request: that is KServe's own cost)
    logging.getLogger("kserve.trace").disabled = True
    server.start([m])


if __name__ == "__main__":
    main()
