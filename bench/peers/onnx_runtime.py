"""A minimal MLServer runtime that serves an ONNX file with onnxruntime.

The peer in Modelship's benchmarks: MLServer 1.7.1 (V2 protocol) in front of the same
ONNX model and the same ONNX Runtime session options as Modelship's server
(intra-op threads from model-settings.json `parameters.extra.intra_op_threads`,
inter-op threads 1, all graph optimisations). Inputs are decoded with MLServer's own
NumpyCodec and every model output is returned.
"""
import onnxruntime as ort
from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse
from mlserver.utils import get_model_uri


class OnnxRuntime(MLModel):
    async def load(self) -> bool:
        uri = await get_model_uri(self._settings)
        extra = (self._settings.parameters.extra or {}) if self._settings.parameters else {}
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(extra.get("intra_op_threads", 1))
        so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(uri, so, providers=["CPUExecutionProvider"])
        self._outputs = [o.name for o in self._session.get_outputs()]
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        feeds = {i.name: NumpyCodec.decode_input(i) for i in payload.inputs}
        results = self._session.run(self._outputs, feeds)
        return InferenceResponse(
            id=payload.id,
            model_name=self.name,
            outputs=[NumpyCodec.encode_output(n, r) for n, r in zip(self._outputs, results)],
        )
