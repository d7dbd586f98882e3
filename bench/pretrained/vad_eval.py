"""silero-vad: the original silero_vad.onnx in-process against the optimized artifact served by
Modelship, streaming generated audio (vad_data.py) exactly as silero-vad's OnnxWrapper does at
16 kHz: 512 new samples per call, prefixed by the previous call's last 64 samples, the recurrent
state fed back from each answer (stateN -> state), sr = 16000 as a scalar INT64 input.

Reported: per-chunk speech probability agreement (max/mean abs difference; decisions at 0.5),
and each side's chunk accuracy against the generator's labels (voiced = speech; tone, noise and
quiet = not speech), plus mean probability per segment kind.

Usage: vad_eval.py <silero_vad.onnx> --url 127.0.0.1:P --out results.json
"""
import argparse
import json
import time

import numpy as np
import onnxruntime as ort
import tritonclient.http as httpclient

from vad_data import SR, make_audio

ap = argparse.ArgumentParser()
ap.add_argument("model")
ap.add_argument("--url", required=True)
ap.add_argument("--name", default="vad")
ap.add_argument("--out", required=True)
args = ap.parse_args()

opts = ort.SessionOptions()
opts.intra_op_num_threads = 1
opts.inter_op_num_threads = 1
sess = ort.InferenceSession(args.model, opts, providers=["CPUExecutionProvider"])
client = httpclient.InferenceServerClient(args.url)


def local(x, state, sr):
    out, st = sess.run(None, {"input": x, "state": state, "sr": sr})
    return out, st


def served(x, state, sr):
    ins = []
    for name, arr, dt in (("input", x, "FP32"), ("state", state, "FP32"), ("sr", sr, "INT64")):
        i = httpclient.InferInput(name, list(arr.shape), dt)
        i.set_data_from_numpy(arr, binary_data=True)
        ins.append(i)
    r = client.infer(args.name, ins, outputs=[httpclient.InferRequestedOutput("output", binary_data=True),
                                                httpclient.InferRequestedOutput("stateN", binary_data=True)])
    return r.as_numpy("output"), r.as_numpy("stateN")


def stream(audio, step):
    chunk, ctx = 512, 64
    state = np.zeros((2, 1, 128), np.float32)
    context = np.zeros((1, ctx), np.float32)
    sr = np.array(SR, dtype=np.int64)
    probs = []
    for s in range(0, len(audio) - chunk + 1, chunk):
        x = np.concatenate([context, audio[None, s:s + chunk]], axis=1).astype(np.float32)
        out, state = step(x, state, sr)
        probs.append(float(out.reshape(-1)[0]))
        context = x[:, -ctx:]
    return np.array(probs)


audio, labels, kinds = make_audio(with_kinds=True)
t = time.perf_counter(); p_orig = stream(audio, local); t_orig = time.perf_counter() - t
t = time.perf_counter(); p_srv = stream(audio, served); t_srv = time.perf_counter() - t
n = len(p_orig)
truth = np.array([labels[i * 512:(i + 1) * 512].mean() > 0.5 for i in range(n)])
d_orig, d_srv = p_orig >= 0.5, p_srv >= 0.5
diff = np.abs(p_orig - p_srv)

# each chunk's kind: the kind of most of its samples
from collections import Counter  # noqa: E402
kind_of_chunk = np.array([Counter(kinds[i * 512:(i + 1) * 512]).most_common(1)[0][0] for i in range(n)])
summary = {
    "audio_seconds": round(len(audio) / SR, 2),
    "chunks": n,
    "prob_max_abs_diff": float(diff.max()),
    "prob_mean_abs_diff": float(diff.mean()),
    "decisions_agree": float((d_orig == d_srv).mean()),
    "decisions_differ_chunks": int((d_orig != d_srv).sum()),
    "accuracy_vs_labels": {"original_in_process": float((d_orig == truth).mean()),
                           "optimized_served": float((d_srv == truth).mean())},
    "by_kind": {k: {"chunks": int((kind_of_chunk == k).sum()),
                    "mean_prob_original": float(p_orig[kind_of_chunk == k].mean()),
                    "mean_prob_served": float(p_srv[kind_of_chunk == k].mean()),
                    "share_speech_original": float(d_orig[kind_of_chunk == k].mean()),
                    "share_speech_served": float(d_srv[kind_of_chunk == k].mean())}
                for k in ("voiced", "tone", "noise", "quiet")},
    "seconds": {"original_in_process": round(t_orig, 2), "served": round(t_srv, 2)},
}
with open(args.out, "w") as f:
    json.dump({"summary": summary, "p_original": p_orig.tolist(), "p_served": p_srv.tolist(),
               "truth": truth.astype(int).tolist()}, f)
print(json.dumps(summary, indent=1))
