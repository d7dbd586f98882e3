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
print("### Quantization: modelship `quantize-dynamic` vs onnxruntime `quantize_dynamic`\n")
print("| model | variant | bytes | batch 1 ms | batch 32 ms | max abs error vs float | accuracy / cosine | top-1 agreement |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for (b, m, v), r in rows.items():
    if b == "quantization":
        acc = r.get("accuracy", r.get("mean_cosine_similarity"))
        print(f"| {m} | {v} | {r['bytes']} | {f(r['latency_b1_ms'])} | {f(r['latency_b32_ms'])} | "
              f"{f(r['max_abs_error'])} | {f(acc, 4)} | {f(r['top1_agreement'], 4)} |")
print("\n### Conversion: modelship vs onnxmltools, and ONNX Runtime vs the native library\n")
print("| model | objective | ours: max abs error vs library | onnxmltools: max abs error | ours batch 1 ms | native batch 1 ms | ours batch 1000 ms | native batch 1000 ms |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for (b, m, v), r in rows.items():
    if b == "conversion":
        peer = r.get("onnxmltools_max_abs_error", r.get("onnxmltools"))
        print(f"| {m} | {r['objective']} | {f(r['ours_max_abs_error'])} | {f(peer)} | {f(r['ours_b1_ms'])} | "
              f"{f(r['native_b1_ms'])} | {f(r['ours_b1000_ms'])} | {f(r['native_b1000_ms'])} |")
print("\n### float16 and prune against the float32 original\n")
print("| model | variant | bytes | batch 1 ms | batch 32 ms | max abs error | top-1 agreement | accuracy |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
for (b, m, v), r in rows.items():
    if b == "float16-prune":
        print(f"| {m} | {v} | {r['bytes']} | {f(r['latency_b1_ms'])} | {f(r['latency_b32_ms'])} | "
              f"{f(r['max_abs_error'])} | {f(r['top1_agreement'], 4)} | {f(r.get('accuracy', '—'), 4)} |")
