"""Argmax agreement with fp32 where the trained model is *not* confident (issue 12, part 3).

train_synthetic.py's model is confident on its held-out set (no row of eval.npz has an fp32
top-1 margin below 2), so every int8 variant agrees with fp32 there and the number says little
about decisions near the boundary. This measures the tail two ways, on sets made here:

  in-distribution  --n more sequences of the task (seed 3), lengths 10..128: the natural tail
  ties             --n sequences (seed 4) where two marker sets tie for the most planted markers
                   (task_batch(tie=True)): not the task's inputs, the fp32 margin is small by
                   construction (like the untrained model's everywhere)

For the fp32 model and every variant of <work>/results.jsonl whose name contains one of --only
(all int8 variants by default): argmax agreement with fp32 overall and by fp32 margin bucket,
and task accuracy on the in-distribution set. Runs with whichever onnxruntime runs it
(ORT_ENABLE_ALL, batch 8, default threads); writes <work>/margin-tail-ort<version>.json. The sets
are saved to <work>/margin-sets-<n>.npz on the first run (needs torch, via train_synthetic.py);
later runs load them, so the server's venv (no torch) can run it second:
  .venv-serve/bin/python bench/transformer/margin_tail.py --work bench/transformer/work-trained

  .venv/bin/python bench/transformer/margin_tail.py --work bench/transformer/work-trained
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))

BUCKETS = [(0, 0.5), (0.5, 1), (1, 2), (2, 4), (4, float("inf"))]


def logits_of(path, ids, mask):
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, {"input_ids": ids[i:i + 8], "attention_mask": mask[i:i + 8]})[0]
                           for i in range(0, len(ids), 8)])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(HERE, "work-trained"))
    ap.add_argument("--results", default="results.jsonl")
    ap.add_argument("--n", type=int, default=1024)
    ap.add_argument("--only", nargs="*", default=["quantize", "qd", "optimum"])
    args = ap.parse_args()
    rows = [json.loads(l) for l in open(os.path.join(args.work, args.results))]
    rows = [r for r in rows if r.get("path") and (r["variant"] == "fp32" or any(o in r["variant"] for o in args.only))]
    cache = os.path.join(args.work, f"margin-sets-{args.n}.npz")
    if os.path.exists(cache):  # lets a venv without torch (the server's onnxruntime) run it
        z = np.load(cache)
        sets = {k: (z[k + "/input_ids"], z[k + "/attention_mask"], z[k + "/labels"]) for k in ("in-distribution", "ties")}
    else:
        sys.path.insert(0, HERE)
        from train_synthetic import task_batch
        sets = {"in-distribution": task_batch(args.n, seed=3), "ties": task_batch(args.n, seed=4, tie=True)}
        np.savez(cache, **{f"{k}/{n}": a for k, v in sets.items() for n, a in zip(("input_ids", "attention_mask", "labels"), v)})
    out = {"onnxruntime": ort.__version__, "n": args.n, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "loadavg_start": os.getloadavg(), "sets": {}}
    for set_name, (ids, mask, labels) in sets.items():
        ref = None
        res = []
        for r in rows:
            logits = logits_of(os.path.join(args.work, r["path"]), ids, mask)
            if ref is None:
                ref = logits
                top2 = np.sort(ref, axis=1)
                margin = top2[:, -1] - top2[:, -2]
            same = logits.argmax(1) == ref.argmax(1)
            row = {"variant": r["variant"], "argmax_agreement": float(same.mean()),
                   "disagreements": int((~same).sum()), "max_abs_error": float(np.abs(logits - ref).max())}
            if set_name == "in-distribution":
                row["task_accuracy"] = float(np.mean(logits.argmax(1) == labels))
            for lo, hi in BUCKETS:
                sel = (margin >= lo) & (margin < hi)
                row[f"margin_{lo}_{hi}"] = [int(same[sel].sum()), int(sel.sum())]
            if (~same).any():
                row["fp32_margin_of_disagreements_max"] = float(margin[~same].max())
            res.append(row)
            print(f"[{time.strftime('%H:%M:%S')}] {set_name}: {json.dumps(row)}", file=sys.stderr, flush=True)
        out["sets"][set_name] = {"fp32_margin_quantiles": {q: float(np.quantile(margin, q)) for q in (0, 0.01, 0.1, 0.5)},
                                 "rows_by_margin": {f"{lo}-{hi}": int(((margin >= lo) & (margin < hi)).sum())
                                                    for lo, hi in BUCKETS},
                                 "variants": res}
    out["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out["loadavg_end"] = os.getloadavg()
    with open(os.path.join(args.work, f"margin-tail-ort{ort.__version__}.json"), "w") as f:
        json.dump(out, f, indent=1)
    print(json.dumps({k: v for k, v in out.items() if k != "sets"}))
    for set_name, s in out["sets"].items():
        print(f"\n{set_name}: fp32 margin quantiles {s['fp32_margin_quantiles']}, rows by margin {s['rows_by_margin']}")
        for r in s["variants"]:
            print(f"  {r['variant']}: agreement {r['argmax_agreement']:.4f} ({r['disagreements']} differ)"
                  + (f", task accuracy {r['task_accuracy']:.4f}" if "task_accuracy" in r else "")
                  + ", by margin " + ", ".join(f"{k[7:]}: {v[0]}/{v[1]}" for k, v in r.items() if k.startswith("margin_")))


if __name__ == "__main__":
    main()
