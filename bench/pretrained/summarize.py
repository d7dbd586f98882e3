"""Markdown tables from a run's work directory (run.sh's $WORK): optimizer figures and task accuracy."""
import glob
import json
import os
import sys

from ocr_data import levenshtein

work = sys.argv[1]


def summary(label):
    p = os.path.join(work, "opt", f"{label}.stdout")
    if not os.path.exists(p) or not open(p).read().strip():
        return None
    return json.loads(open(p).read().strip().splitlines()[-1])


MODEL = {"det": "ch_PP-OCRv4_det_infer", "cls": "ch_ppocr_mobile_v2.0_cls_infer", "rec-graph": "ch_PP-OCRv4_rec_infer",
         "rec": "ch_PP-OCRv4_rec_infer", "rec-pc": "ch_PP-OCRv4_rec_infer", "vad-request": "silero_vad",
         "vad-generated": "silero_vad", "vad": "silero_vad"}


def mib(b):
    return f"{b / 1048576:.2f} MiB"


print("| run | model | passes | exit / reason | size before → after | validation max abs error | top-1 | latency ms orig → opt (1 row, Java ORT) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
for label in ["det", "cls", "rec-graph", "rec", "rec-pc", "vad-request", "vad-generated", "vad"]:
    s = summary(label)
    if s is None:
        continue
    if s["exitCode"] != 0:
        print(f"| {label} | {MODEL[label]} | | {s['exitCode']} {s['reason']}: `{s['message']}` | | | | |")
        continue
    v = s.get("validation") or {}
    lat = v.get("latencyMillis") or {}
    print(f"| {label} | {MODEL[label]} | {', '.join(s['passes'])} | 0 Built | "
          f"{mib(s['sourceBytes'])} → {mib(s['bytes'])} | {v.get('maxAbsError', 'not validated')} | {v.get('top1Agreement', '')} | "
          f"{lat.get('original', 0):.1f} → {lat.get('optimized', 0):.1f} |" if v else
          f"| {label} | {MODEL[label]} | {', '.join(s['passes'])} | 0 Built | {mib(s['sourceBytes'])} → {mib(s['bytes'])} | not validated (--samples 0) | | |")

print()
print("Per image: exact = every line right, spaces included; exact ignoring spaces; char acc. = 1 - edit distance / characters,")
print("ignoring spaces (and, after the slash, with spaces: lines and detected boxes joined by one space).")
print()
print("| OCR set | served recognizer | images (lines) | original in-process: exact / exact ignoring spaces / char acc. | optimized served: exact / exact ignoring spaces / char acc. | identical outputs | rec rows same decoded text | rec max abs diff (same input) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- |")
order = {"rec-graph": 0, "rec": 1, "rec-pc": 2}
for p in sorted(glob.glob(os.path.join(work, "ocr_*.json")), key=lambda p: (os.path.basename(p).split("_")[1], order.get(os.path.basename(p)[:-5].split("_", 2)[2], 9))):
    d = json.load(open(p))["summary"]
    rows = json.load(open(p))["rows"]
    o, s, r = d["original_in_process"], d["optimized_served"], d["model_level"]["rec"]
    for key, agg in (("original", o), ("served", s)):
        e = sum(levenshtein(" ".join(x["truth"]), " ".join(x[key])) for x in rows)
        agg["acc_spaces"] = 1 - e / sum(len(" ".join(x["truth"])) for x in rows)
    name = os.path.basename(p)[4:-5].split("_", 1)
    f = lambda x: f"{x['exact_match']:.3f} / {x['exact_match_nospace']:.3f} / {x['char_accuracy_nospace']:.4f} / {x['acc_spaces']:.4f} ({x['edits']} edits in {x['chars']} without spaces)"
    print(f"| {name[0]} | {name[1]} | {o['images']} ({d['lines']}) | {f(o)} | {f(s)} | {d['identical_outputs']}/{o['images']} | "
          f"{r['rec_rows_same_text']}/{r['rows']} | {r['max_abs_diff']:.3g} (det {d['model_level']['det']['max_abs_diff']:.3g}, cls {d['model_level']['cls']['max_abs_diff']:.3g}) |")

p = os.path.join(work, "vad.json")
if os.path.exists(p):
    d = json.load(open(p))["summary"]
    print()
    print(f"silero-vad: {d['chunks']} chunks of 32 ms ({d['audio_seconds']} s); probability max abs diff {d['prob_max_abs_diff']:.3g}, "
          f"decisions agree {d['decisions_agree']:.4f}; accuracy vs labels original {d['accuracy_vs_labels']['original_in_process']:.4f}, "
          f"served {d['accuracy_vs_labels']['optimized_served']:.4f}")
    for k, v in d["by_kind"].items():
        print(f"  {k}: {v['chunks']} chunks, mean p {v['mean_prob_original']:.3f} / {v['mean_prob_served']:.3f}, "
              f"share >= 0.5 {v['share_speech_original']:.3f} / {v['share_speech_served']:.3f}")
