"""OCR of rendered text: rapidocr-onnxruntime's pipeline with its original models in-process,
against the same pipeline whose three models (detector, angle classifier, recognizer) are the
Modelship-optimized artifacts served by Modelship's inference server (tritonclient, HTTP,
binary tensors). Pre- and post-processing (resize, DB box extraction, crop, CTC decoding with
the dictionary stored in the recognizer's metadata) are rapidocr's own in both.

Also, for every request the served pipeline makes, the original model is run in-process on the
same tensor: the max abs difference of outputs, and for the recognizer whether the CTC-decoded
text is the same, isolate the model change from its knock-on effects on later stages.

Usage: ocr_eval.py --det 127.0.0.1:P --cls 127.0.0.1:P --rec 127.0.0.1:P --out results.json
"""
import argparse
import json
import time

import numpy as np
import tritonclient.http as httpclient
from rapidocr_onnxruntime import RapidOCR

from ocr_data import levenshtein, make_dataset, to_bgr

ap = argparse.ArgumentParser()
ap.add_argument("--det", required=True)
ap.add_argument("--cls", required=True)
ap.add_argument("--rec", required=True)
ap.add_argument("--rec-name", default="rec")
ap.add_argument("--images", type=int, default=40)
ap.add_argument("--hard", action="store_true", help="small, blurred, noisy, JPEG-compressed text")
ap.add_argument("--out", required=True)
args = ap.parse_args()


class Served:
    """Stands in for rapidocr's OrtInferSession: x -> [output], through the server."""

    def __init__(self, url, model, original, stats, decode=None):
        self.client = httpclient.InferenceServerClient(url, network_timeout=300, connection_timeout=60)
        meta = self.client.get_model_metadata(model)
        self.model, self.inp, self.out = model, meta["inputs"][0]["name"], meta["outputs"][0]["name"]
        self.original, self.stats, self.decode = original, stats, decode

    def __call__(self, x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        i = httpclient.InferInput(self.inp, list(x.shape), "FP32")
        i.set_data_from_numpy(x, binary_data=True)
        t = time.perf_counter()
        r = self.client.infer(self.model, [i], outputs=[httpclient.InferRequestedOutput(self.out, binary_data=True)])
        self.stats["served_s"] += time.perf_counter() - t
        y = r.as_numpy(self.out)
        ref = self.original(x)[0]
        self.stats["requests"] += 1
        self.stats["rows"] += x.shape[0]
        self.stats["max_abs_diff"] = max(self.stats["max_abs_diff"], float(np.abs(y - ref).max()))
        if self.decode is not None:
            a, b = self.decode(ref), self.decode(y)
            self.stats["rec_rows_same_text"] += sum(p[0] == q[0] for p, q in zip(a, b))
            self.stats["rec_rows_diff_examples"] += [[p[0], q[0]] for p, q in zip(a, b) if p[0] != q[0]][:3]
        return [y]


def new_stats():
    return {"requests": 0, "rows": 0, "max_abs_diff": 0.0, "served_s": 0.0}


orig = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
served = RapidOCR(intra_op_num_threads=1, inter_op_num_threads=1)
stats = {"det": new_stats(), "cls": new_stats(), "rec": new_stats()}
stats["rec"].update(rec_rows_same_text=0, rec_rows_diff_examples=[])
served.text_det.infer = Served(args.det, "det", orig.text_det.infer, stats["det"])
served.text_cls.infer = Served(args.cls, "cls", orig.text_cls.infer, stats["cls"])
served.text_rec.session = Served(args.rec, args.rec_name, orig.text_rec.session, stats["rec"],
                                 decode=orig.text_rec.postprocess_op)


def read(engine, img):
    res, _ = engine(to_bgr(img))
    return [r[1] for r in (res or [])]


def score(ref_lines, got_lines):
    ref_ns = "".join(ref_lines).replace(" ", "")
    got_ns = "".join(got_lines).replace(" ", "")
    return {
        "exact": "\n".join(ref_lines) == "\n".join(got_lines),  # lines, spaces and all
        "exact_nospace": ref_ns == got_ns,
        "edits_nospace": levenshtein(ref_ns, got_ns),
        "chars_nospace": len(ref_ns),
    }


rows = []
times = {"original": 0.0, "served": 0.0}
data = make_dataset(n_images=args.images, hard=args.hard)
for n, (img, lines, font) in enumerate(data):
    t = time.perf_counter(); a = read(orig, img); times["original"] += time.perf_counter() - t
    t = time.perf_counter(); b = read(served, img); times["served"] += time.perf_counter() - t
    rows.append({"font": font, "truth": lines, "original": a, "served": b,
                 "score_original": score(lines, a), "score_served": score(lines, b), "same": a == b})
    print(f"[{n + 1}/{len(data)}] {'same' if a == b else 'DIFF'} truth={lines} original={a} served={b}", flush=True)


def agg(key):
    s = [r[key] for r in rows]
    edits, chars = sum(x["edits_nospace"] for x in s), sum(x["chars_nospace"] for x in s)
    return {"images": len(s), "exact_match": sum(x["exact"] for x in s) / len(s),
            "exact_match_nospace": sum(x["exact_nospace"] for x in s) / len(s),
            "char_accuracy_nospace": 1 - edits / chars, "edits": edits, "chars": chars}


summary = {
    "set": "hard" if args.hard else "clean",
    "original_in_process": agg("score_original"),
    "optimized_served": agg("score_served"),
    "identical_outputs": sum(r["same"] for r in rows),
    "lines": sum(len(r["truth"]) for r in rows),
    "fonts": sorted({r["font"] for r in rows}),
    "model_level": stats,
    "pipeline_seconds": times,
}
with open(args.out, "w") as f:
    json.dump({"summary": summary, "rows": rows}, f, indent=1)
print(json.dumps(summary, indent=1))
