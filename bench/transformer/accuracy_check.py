"""Error and argmax agreement of every variant in work/results.jsonl under the installed onnxruntime.

int8 kernels differ between ONNX Runtime versions, and the inference server bundles an older one
(1.28.0) than the Python benchmark (1.32.0), so this recomputes the accuracy columns with
whichever onnxruntime runs it; run.sh runs it from .venv-serve (the server's version):
  .venv-serve/bin/python bench/transformer/accuracy_check.py
Writes work/accuracy-ort<version>.json. Reference: the fp32 model under the same version. Also the
agreement on the rows whose fp32 top-1 margin is < 1, and, if eval.npz has `labels`
(train_synthetic.py), the task accuracy.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--results", default="results.jsonl")
    args = ap.parse_args()
    ev = np.load(os.path.join(args.work, "eval.npz"))
    ids, mask = ev["input_ids"], ev["attention_mask"]
    labels = ev["labels"] if "labels" in ev.files else None  # train_synthetic.py's eval set
    rows = [json.loads(l) for l in open(os.path.join(args.work, args.results))]
    rows = [r for r in rows if r.get("path")]
    out, ref = [], None
    for r in rows:
        if ref is not None and r["variant"] != "fp32" and r.get("max_abs_error", 1) < 1e-3:
            continue  # fp32 rewrites: nothing to learn here
        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        sess = ort.InferenceSession(os.path.join(args.work, r["path"]), so, providers=["CPUExecutionProvider"])
        logits = np.concatenate([sess.run(None, {"input_ids": ids[i:i + 8], "attention_mask": mask[i:i + 8]})[0]
                                 for i in range(0, len(ids), 8)])
        if ref is None:
            ref = logits
            top2 = np.sort(ref, axis=1)
            low = top2[:, -1] - top2[:, -2] < 1  # fp32 top-1 margin < 1
        row = {"variant": r["variant"], "onnxruntime": ort.__version__,
               "max_abs_error": float(np.abs(logits - ref).max()),
               "mean_abs_error": float(np.abs(logits - ref).mean()),
               "argmax_agreement": float(np.mean(logits.argmax(1) == ref.argmax(1))),
               "low_margin_rows": int(low.sum()),
               "argmax_agreement_margin_lt_1": float(np.mean(logits.argmax(1)[low] == ref.argmax(1)[low])) if low.any() else None}
        if labels is not None:
            row["task_accuracy"] = float(np.mean(logits.argmax(1) == labels))
        print(f"[{time.strftime('%H:%M:%S')}] {json.dumps(row)}", file=sys.stderr, flush=True)
        out.append(row)
    with open(os.path.join(args.work, f"accuracy-ort{ort.__version__}.json"), "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
