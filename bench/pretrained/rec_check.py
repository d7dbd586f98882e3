"""The recognizer's output is a sequence ([rows, timesteps, 6625] softmax): the optimizer's top-1
(argmax over a whole row) is not the figure that matters for it. On the same validation samples,
in-process: per-timestep argmax agreement and equality of the CTC-decoded text (rapidocr's own
decoder and dictionary) between the original and each artifact.

Usage: rec_check.py <original.onnx> <rec_samples.npy> <label>=<artifact model.onnx>...
"""
import json
import sys

import numpy as np
import onnxruntime as ort
from rapidocr_onnxruntime.ch_ppocr_rec.utils import CTCLabelDecode


def session(path):
    o = ort.SessionOptions()
    o.intra_op_num_threads = 1
    return ort.InferenceSession(path, o, providers=["CPUExecutionProvider"])


orig = session(sys.argv[1])
samples = np.load(sys.argv[2])
decode = CTCLabelDecode(character=orig.get_modelmeta().custom_metadata_map["character"].splitlines())
ref = [orig.run(None, {"x": samples[i:i + 1]})[0] for i in range(len(samples))]
report = {}
for arg in sys.argv[3:]:
    label, path = arg.split("=", 1)
    s = session(path)
    out = [s.run(None, {"x": samples[i:i + 1]})[0] for i in range(len(samples))]
    steps = sum(r.shape[1] for r in ref)
    same_steps = sum(int((r.argmax(2) == o.argmax(2)).sum()) for r, o in zip(ref, out))
    texts = [(decode(r)[0][0], decode(o)[0][0]) for r, o in zip(ref, out)]
    report[label] = {
        "rows": len(samples),
        "max_abs_error": float(max(np.abs(r - o).max() for r, o in zip(ref, out))),
        "timestep_argmax_agreement": same_steps / steps,
        "decoded_text_equal": sum(a == b for a, b in texts) / len(texts),
        "text_differences": [[a, b] for a, b in texts if a != b],
    }
print(json.dumps(report, indent=1))
