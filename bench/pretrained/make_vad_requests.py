"""silero-vad streaming requests (16 kHz, 64 context + 512 new samples, the state fed back) as a
JSON array of V2 requests: every 8th call of the stream over bench/pretrained's generated audio,
for the optimizer's --sample-file (one sample per request).

    python make_vad_requests.py <silero_vad.onnx> <out.json>
"""
import json
import sys
from pathlib import Path

import numpy as np, onnxruntime as ort
sys.path.insert(0, str(Path(__file__).resolve().parent))
from vad_data import make_audio
model, out, every, count = sys.argv[1], sys.argv[2], 8, 64
sess = ort.InferenceSession(model, providers=["CPUExecutionProvider"])
audio, _ = make_audio(seed=7)
state = np.zeros((2, 1, 128), np.float32); context = np.zeros((1, 64), np.float32)
sr = np.array(16000, np.int64)
def inp(name, dt, a):
    return {"name": name, "datatype": dt, "shape": list(a.shape), "data": a.ravel().tolist()}
reqs = []
for i, s in enumerate(range(0, len(audio) - 512 + 1, 512)):
    x = np.concatenate([context, audio[None, s:s + 512]], axis=1).astype(np.float32)
    if i % every == 0 and len(reqs) < count:
        reqs.append({"inputs": [inp("input", "FP32", x), inp("state", "FP32", state), inp("sr", "INT64", sr)]})
    o, state = sess.run(None, {"input": x, "state": state, "sr": sr})
    context = x[:, -64:]
with open(out, "w") as f:
    json.dump(reqs, f)
with open(out.replace(".json", ".jsonl"), "w") as f:
    f.writelines(json.dumps(r) + "\n" for r in reqs)
print(len(reqs), "requests")
