"""Optimizer benchmarks (issue 3): our passes and converters next to the peers.

1. Quantization: our `quantize-dynamic` against onnxruntime's own `quantize_dynamic`
   on the digits MLP (trained) and heavy_mlp (6 x 1024x1024 MatMul): size, latency at
   batch 1 and 32, accuracy / agreement / error against the float model.
2. Conversion: our XGBoost/LightGBM converters against onnxmltools on the shared tree
   models: prediction error against the library, and latency of our ONNX in ONNX Runtime
   against the library's own predict at batch 1 and 1000.
3. float16 and prune against the float32 original: size, latency, error.

Run from the repository root after building the optimizer jar:
  ./mvnw -B -q -pl optimizer -am package -DskipTests
  python bench/optimizer/bench_optimizer.py [--quick]
Everything is measured with ONNX Runtime's CPU provider and 1 intra-op thread.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
JAR = os.path.join(REPO, "optimizer", "target", "modelship-optimizer.jar")
MODELS = os.path.join(REPO, "examples", "models")
TREES = os.path.join(MODELS, "trees")


def optimize(source, passes, out):
    cmd = ["java", "-jar", JAR, "optimize", source, "--out", out, "--samples", "0"]
    for p in passes:
        cmd += ["--pass", p]
    r = subprocess.run(cmd, capture_output=True, text=True)
    summary = json.loads(r.stdout.strip().splitlines()[-1])
    if r.returncode != 0:
        raise RuntimeError(f"{cmd}: {summary}")
    return os.path.join(summary["location"], summary["file"])


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def latency_ms(sess, feed, runs):
    for _ in range(max(3, runs // 10)):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def run_all(sess, x):
    name = sess.get_inputs()[0].name
    return sess.run(None, {name: x})


def digits_test():
    """The held-out quarter of load_digits, split as examples/models/make_models.py does."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    x, y = load_digits(return_X_y=True)
    _, x_test, _, y_test = train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)
    return x_test.astype(np.float32), y_test


def quantization(quick, tmp):
    from onnxruntime.quantization import QuantType, quantize_dynamic
    rows = []
    digits_x, digits_y = digits_test()
    models = [("digits_mlp", os.path.join(MODELS, "digits_mlp.onnx"))]
    heavy = os.path.join(MODELS, "generated", "heavy_mlp.onnx")
    if os.path.exists(heavy):
        models.append(("heavy_mlp", heavy))
    else:
        print("heavy_mlp.onnx missing: run examples/models/make_models.py heavy", file=sys.stderr)
    runs = 50 if quick else 300
    for name, path in models:
        s_float = session(path)
        input_name = s_float.get_inputs()[0].name
        features = s_float.get_inputs()[0].shape[1]
        if name == "digits_mlp":
            x, truth = digits_x, digits_y
        else:
            x = np.random.default_rng(1).normal(size=(256, features)).astype(np.float32)
            truth = None
        ref = run_all(s_float, x)
        ort_path = os.path.join(tmp, name + ".ort_q.onnx")
        candidates = {"float32 original": path}
        for per_channel in (False, True):
            tag = "per-channel" if per_channel else "per-tensor"
            p = os.path.join(tmp, f"{name}.ort_q_{tag}.onnx")
            quantize_dynamic(path, p, weight_type=QuantType.QInt8, per_channel=per_channel)
            candidates[f"onnxruntime quantize_dynamic ({tag})"] = p
            candidates[f"modelship quantize-dynamic ({tag})"] = optimize(
                path, [f"quantize-dynamic:perChannel={'true' if per_channel else 'false'}"], tmp)
        candidates["modelship graph-optimize + quantize-dynamic"] = optimize(
            path, ["graph-optimize", "quantize-dynamic"], tmp)
        for label, p in candidates.items():
            s = session(p)
            out = run_all(s, x)
            row = {"bench": "quantization", "model": name, "variant": label, "bytes": os.path.getsize(p),
                   "latency_b1_ms": latency_ms(s, {input_name: x[:1]}, runs),
                   "latency_b32_ms": latency_ms(s, {input_name: x[:32]}, runs // 3)}
            scores = out[-1] if name == "digits_mlp" else out[0]
            ref_scores = ref[-1] if name == "digits_mlp" else ref[0]
            row["max_abs_error"] = float(np.abs(scores - ref_scores).max())
            if truth is not None:
                row["accuracy"] = float((out[0] == truth).mean())
                row["top1_agreement"] = float((out[0] == ref[0]).mean())
            else:
                a = scores / np.linalg.norm(scores, axis=1, keepdims=True)
                b = ref_scores / np.linalg.norm(ref_scores, axis=1, keepdims=True)
                row["mean_cosine_similarity"] = float((a * b).sum(axis=1).mean())
                row["top1_agreement"] = float((scores.argmax(1) == ref_scores.argmax(1)).mean())
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def conversion(quick, tmp):
    import lightgbm as lgb
    import onnxmltools
    import xgboost as xgb
    from onnxmltools.convert.common.data_types import FloatTensorType
    index = json.load(open(os.path.join(TREES, "index.json")))
    rows = []
    runs = 50 if quick else 200
    for m in index["models"]:
        src = [f for f in m["model_files"] if not f.endswith(".ubj")][0]
        path = os.path.join(TREES, src)
        x = np.load(os.path.join(TREES, m["inputs"]))
        expected = np.load(os.path.join(TREES, m["expected"]))
        big = np.repeat(x, 5, axis=0)[:1000]
        ours = session(optimize(path, [], tmp))
        if m["library"] == "xgboost":
            booster = xgb.Booster()
            booster.load_model(path)
            booster.set_param({"nthread": 1})
            native = lambda a: booster.predict(xgb.DMatrix(a, missing=np.nan))  # noqa: E731
            try:
                peer_model = onnxmltools.convert_xgboost(booster, initial_types=[("input", FloatTensorType([None, x.shape[1]]))])
            except Exception as e:  # the peer may not cover every objective / categorical splits
                peer_model = None
                peer_error = f"{type(e).__name__}: {str(e)[:80]}"
        else:
            booster = lgb.Booster(model_file=path)
            native = lambda a: booster.predict(a.astype(np.float64), num_threads=1)  # noqa: E731
            try:
                peer_model = onnxmltools.convert_lightgbm(booster, initial_types=[("input", FloatTensorType([None, x.shape[1]]))],
                                                          zipmap=False)
            except Exception as e:
                peer_model = None
                peer_error = f"{type(e).__name__}: {str(e)[:80]}"

        def pick(outputs, sess):
            names = [o.name for o in sess.get_outputs()]
            if m["objective"] == "multi:softmax":
                return outputs[0].astype(np.float64).ravel()
            if len(outputs) > 1:  # label, probabilities
                p = outputs[1]
                return p[:, 1] if expected.ndim == 1 else p
            return outputs[0].reshape(expected.shape)

        row = {"bench": "conversion", "model": m["name"], "objective": m["objective"]}
        got = pick(run_all(ours, x), ours)
        row["ours_max_abs_error"] = float(np.abs(got - expected).max())
        if peer_model is not None:
            p = os.path.join(tmp, m["name"] + ".onnxmltools.onnx")
            with open(p, "wb") as f:
                f.write(peer_model.SerializeToString())
            peer = session(p)
            try:
                row["onnxmltools_max_abs_error"] = float(np.abs(pick(run_all(peer, x), peer) - expected).max())
            except Exception as e:
                row["onnxmltools_max_abs_error"] = f"{type(e).__name__}"
        else:
            row["onnxmltools"] = peer_error
        name = ours.get_inputs()[0].name
        for batch, data in (("b1", x[:1]), ("b1000", big)):
            r = runs if batch == "b1" else max(10, runs // 10)
            row[f"ours_{batch}_ms"] = latency_ms(ours, {name: data}, r)
            for _ in range(3):
                native(data)
            t = []
            for _ in range(r):
                t0 = time.perf_counter()
                native(data)
                t.append(time.perf_counter() - t0)
            row[f"native_{batch}_ms"] = 1000 * float(np.median(t))
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def float16_prune(quick, tmp):
    rows = []
    runs = 50 if quick else 300
    digits_x, digits_y = digits_test()
    models = [("digits_mlp", os.path.join(MODELS, "digits_mlp.onnx"))]
    heavy = os.path.join(MODELS, "generated", "heavy_mlp.onnx")
    if os.path.exists(heavy):
        models.append(("heavy_mlp", heavy))
    for name, path in models:
        base = session(path)
        input_name = base.get_inputs()[0].name
        features = base.get_inputs()[0].shape[1]
        x = digits_x if name == "digits_mlp" else \
            np.random.default_rng(1).normal(size=(256, features)).astype(np.float32)
        ref = run_all(base, x)
        variants = {"float32 original": path,
                    "float16": optimize(path, ["float16"], tmp),
                    "prune sparsity=0.5 (element)": optimize(path, ["prune:sparsity=0.5"], tmp),
                    "prune sparsity=0.5 granularity=unit": optimize(path, ["prune:sparsity=0.5,granularity=unit"], tmp),
                    "prune sparsity=0.2 (element)": optimize(path, ["prune:sparsity=0.2"], tmp),
                    "prune sparsity=0.1 granularity=unit": optimize(path, ["prune:sparsity=0.1,granularity=unit"], tmp),
                    "prune unit 0.5 + quantize-dynamic": optimize(
                        path, ["prune:sparsity=0.5,granularity=unit", "quantize-dynamic"], tmp)}
        for label, p in variants.items():
            s = session(p)
            out = run_all(s, x)
            scores, ref_scores = (out[-1], ref[-1]) if name == "digits_mlp" else (out[0], ref[0])
            row = {"bench": "float16-prune", "model": name, "variant": label, "bytes": os.path.getsize(p),
                   "latency_b1_ms": latency_ms(s, {input_name: x[:1]}, runs),
                   "latency_b32_ms": latency_ms(s, {input_name: x[:32]}, runs // 3),
                   "max_abs_error": float(np.abs(scores - ref_scores).max()),
                   "top1_agreement": float((scores.argmax(1) == ref_scores.argmax(1)).mean())}
            if name == "digits_mlp":
                row["accuracy"] = float((out[0] == digits_y).mean())
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="fewer timing runs")
    ap.add_argument("--only", choices=["quantization", "conversion", "float16-prune"])
    ap.add_argument("--out", default=os.path.join(REPO, "bench", "optimizer", "results.jsonl"))
    args = ap.parse_args()
    if not os.path.exists(JAR):
        sys.exit("build the optimizer first: ./mvnw -B -q -pl optimizer -am package -DskipTests")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "quantization"):
            rows += quantization(args.quick, tmp)
        if args.only in (None, "conversion"):
            rows += conversion(args.quick, tmp)
        if args.only in (None, "float16-prune"):
            rows += float16_prune(args.quick, tmp)
    meta = {"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "onnxruntime": ort.__version__,
            "cpus": os.cpu_count(), "threads": 1}
    with open(args.out, "a") as f:
        for r in rows:
            f.write(json.dumps({**meta, **r}) + "\n")


if __name__ == "__main__":
    main()
