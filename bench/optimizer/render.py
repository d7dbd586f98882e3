"""Renders bench/optimizer/results.jsonl (the last run of each row) as Markdown tables."""
import json
import os
import sys

path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "results.jsonl")
rows = {}
for line in open(path):
    r = json.loads(line)
    rows[(r["bench"], r["model"], r.get("variant", r.get("objective")))] = r


def f(v, digits=3):
    if isinstance(v, float):
        return f"{v:.{digits}g}"
    return str(v)


meta = next(iter(rows.values()))
dates = sorted(r["date"] for r in rows.values())
print(f"Runs {dates[0]} to {dates[-1]}, onnxruntime {meta['onnxruntime']} (Python), CPU provider, 1 intra-op thread, "
      f"{meta['cpus']}-core shared machine. Latency: median of single calls.\n")


def table(title, header, bench, cells):
    """One Markdown table: the rows of one benchmark, first column left-aligned, numbers right."""
    print(f"### {title}\n")
    print("| " + " | ".join(header) + " |")
    print("| --- | --- | " + " | ".join(["---:"] * (len(header) - 2)) + " |")
    for (b, m, v), r in rows.items():
        if b == bench:
            print("| " + " | ".join(str(c) for c in cells(m, v, r)) + " |")


table("Quantization: modelship `quantize-dynamic` vs onnxruntime `quantize_dynamic`",
      ["model", "variant", "bytes", "batch 1 ms", "batch 32 ms", "max abs error vs float", "accuracy / cosine",
       "top-1 agreement"], "quantization",
      lambda m, v, r: [m, v, r["bytes"], f(r["latency_b1_ms"]), f(r["latency_b32_ms"]), f(r["max_abs_error"]),
                       f(r.get("accuracy", r.get("mean_cosine_similarity")), 4), f(r["top1_agreement"], 4)])
print()
table("Conversion: modelship vs onnxmltools, and ONNX Runtime vs the native library",
      ["model", "objective", "ours: max abs error vs library", "onnxmltools: max abs error", "ours batch 1 ms",
       "native batch 1 ms", "ours batch 1000 ms", "native batch 1000 ms"], "conversion",
      lambda m, v, r: [m, r["objective"], f(r["ours_max_abs_error"]),
                       f(r.get("onnxmltools_max_abs_error", r.get("onnxmltools"))), f(r["ours_b1_ms"]),
                       f(r["native_b1_ms"]), f(r["ours_b1000_ms"]), f(r["native_b1000_ms"])])
print()
table("float16 and prune against the float32 original",
      ["model", "variant", "bytes", "batch 1 ms", "batch 32 ms", "max abs error", "top-1 agreement", "accuracy"],
      "float16-prune",
      lambda m, v, r: [m, v, r["bytes"], f(r["latency_b1_ms"]), f(r["latency_b32_ms"]), f(r["max_abs_error"]),
                       f(r["top1_agreement"], 4), f(r.get("accuracy", "—"), 4)])
