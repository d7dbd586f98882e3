"""Validation samples for the optimizer: the exact tensors rapidocr feeds its three models.

Images rendered with another seed than the evaluation set (ocr_eval.py), run through
rapidocr-onnxruntime's own pipeline in-process; every array handed to the detector, the
angle classifier and the recognizer is recorded and saved as .npy (rows on dimension 0):
  det_samples.npy  [N, 3, 736, 1472]   (640x320 canvas, short side scaled to 736)
  cls_samples.npy  [N, 3, 48, 192]
  rec_samples.npy  [N, 3, 48, W]       (rows zero-padded to one width, as rapidocr pads a batch)
and silero-vad's request files (see vad_eval.py for why there are several).
"""
import json
import os
import sys

import numpy as np
from rapidocr_onnxruntime import RapidOCR

from ocr_data import make_dataset, to_bgr

out = sys.argv[1] if len(sys.argv) > 1 else "work"
os.makedirs(out, exist_ok=True)

eng = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
seen = {"det": [], "cls": [], "rec": []}


def record(kind, fn):
    def wrapped(x):
        seen[kind].append(np.array(x, dtype=np.float32))
        return fn(x)
    return wrapped


eng.text_det.infer = record("det", eng.text_det.infer)
eng.text_cls.infer = record("cls", eng.text_cls.infer)
eng.text_rec.session = record("rec", eng.text_rec.session)

for img, lines, _ in make_dataset(n_images=16, seed=7):
    eng(to_bgr(img))

det = np.concatenate(seen["det"])[:8]
cls = np.concatenate(seen["cls"])[:32]
rec_rows = [r for b in seen["rec"] for r in b][:32]
width = max(r.shape[-1] for r in rec_rows)
rec = np.zeros((len(rec_rows), 3, 48, width), dtype=np.float32)
for i, r in enumerate(rec_rows):
    rec[i, :, :, : r.shape[-1]] = r
for name, a in (("det", det), ("cls", cls), ("rec", rec)):
    np.save(os.path.join(out, f"{name}_samples.npy"), np.ascontiguousarray(a))
    print(f"{name}_samples.npy {list(a.shape)}")

# silero-vad: one realistic request (16 kHz, 64 context + 512 new samples, zero state).
from vad_data import make_audio  # noqa: E402

audio, _ = make_audio(seed=7)
chunk = np.concatenate([np.zeros(64, np.float32), audio[16000:16512]])[None, :]
state = np.zeros((2, 1, 128), np.float32)


def inp(name, dt, arr):
    return {"name": name, "datatype": dt, "shape": list(arr.shape), "data": arr.ravel().tolist()}


req = {"inputs": [inp("input", "FP32", chunk), inp("state", "FP32", state),
                  inp("sr", "INT64", np.array(16000, np.int64))]}
with open(os.path.join(out, "vad_request.json"), "w") as f:
    json.dump(req, f)
print("vad_request.json input [1,576], state [2,1,128], sr [] (scalar)")
