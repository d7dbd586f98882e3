"""The optimizer's distill pass against its teachers, and against the small model trained on the labels.

    python bench_distill.py --jar <modelship-optimizer.jar> --work <dir> [--results results.json]
                            [--markdown section.md] [--datasets noisy,separable,digits] [--quick]

For XGBoost and LightGBM teachers at three sizes on each data set it measures, for the teacher's ONNX
(the optimizer with no passes), the student's (`--pass distill`, defaults: 50 trees of depth 6) and a
baseline (the same library trained on the labels with the student's size and step, converted by the
optimizer): file bytes, ONNX Runtime latency at batch 1 and 64 (1 intra-op thread, 1 inter-op,
sequential; median and p90), top-1 agreement with the teacher and accuracy on every held-out row.
The largest teacher also gets a smaller student (20 trees of depth 4) and its baseline, and (except on the
separable data) the default student on a transfer set enlarged with the pass's rows=N (4x the rows, at
least 20,000). A 1-tree model
and an Identity graph measure ONNX Runtime's fixed cost per call. Everything is written under --work;
results as JSON to --results, a Markdown section to --markdown, the table to stdout.
"""
import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np
import onnx
import onnxruntime as ort
import sklearn
import xgboost as xgb
from onnx import TensorProto, helper
from sklearn.datasets import load_digits, make_classification
from sklearn.model_selection import train_test_split

SEED = 7
TEACHER_SIZES = [(100, 4), (500, 6), (2000, 8)]  # (trees, depth), learning rate 0.1
STUDENT = (50, 6)                                # the distill pass's defaults (eta 0.3)
SMALL_STUDENT = (20, 4)                          # tried on the largest teacher only
STUDENT_ETA = 0.3
SAMPLES = 2000                                   # the optimizer's own validation rows


def log(msg):
    print(f"[distill-bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def loadavg():
    return Path("/proc/loadavg").read_text().split()[:3]


def datasets(names):
    if "noisy" in names:
        # scikit-learn's defaults: 20 features, 2 informative, 1 % of labels flipped at random.
        yield "noisy", "make_classification(100k), defaults (1 % labels flipped)", \
            make_classification(n_samples=100_000, random_state=SEED)
    if "separable" in names:
        yield "separable", "make_classification(100k, class_sep=2, flip_y=0)", \
            make_classification(n_samples=100_000, class_sep=2.0, flip_y=0, random_state=SEED)
    if "digits" in names:
        yield "digits", "load_digits (1,797 rows, 64 features, 10 classes)", load_digits(return_X_y=True)


def fit(library, trees, depth, eta, x, y):
    if library == "xgboost":
        model = xgb.XGBClassifier(n_estimators=trees, max_depth=depth, learning_rate=eta, tree_method="hist",
                                  random_state=SEED, n_jobs=2)
    else:
        model = lgb.LGBMClassifier(n_estimators=trees, num_leaves=2 ** depth - 1, max_depth=depth,
                                   learning_rate=eta, random_state=SEED, n_jobs=2, verbose=-1)
    return model.fit(x, y)


def save(model, library, stem):
    if library == "xgboost":
        path = stem.with_suffix(".json")
        model.get_booster().save_model(str(path))
    else:
        path = stem.with_suffix(".txt")
        model.booster_.save_model(str(path))
    return path


def optimize(jar, source, out, *args):
    """Runs the optimizer; returns (its one-line summary, the artifact's model.onnx, seconds)."""
    cmd = ["java", "-jar", str(jar), "optimize", str(source), "--out", str(out), *args]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise SystemExit(f"optimizer failed ({proc.returncode}): {' '.join(cmd)}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    model = Path(summary["location"]) / "model.onnx"
    if not model.is_absolute():
        model = Path.cwd() / model
    return summary, model, seconds


def session(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def predict(sess, x):
    """(labels, probabilities) of the ONNX model on every row, in chunks."""
    labels, probs = [], []
    for i in range(0, len(x), 4096):
        lab, pr = sess.run(["label", "probabilities"], {"input": x[i:i + 4096]})
        labels.append(lab)
        probs.append(pr)
    return np.concatenate(labels), np.concatenate(probs)


class Timer:
    """Latency of one model at batch 1 and 64 over held-out rows, measured in interleaved rounds."""

    def __init__(self, path, x):
        self.sess = session(path)
        rng = np.random.default_rng(SEED)
        self.b1 = [{"input": np.ascontiguousarray(x[i:i + 1])} for i in rng.integers(0, len(x), 256)]
        self.b64 = [{"input": np.ascontiguousarray(x[i:i + 64])} for i in rng.integers(0, len(x) - 64, 32)]
        self.times = {1: [], 64: []}
        for feeds in (self.b1, self.b64):  # warm-up
            for f in feeds[:50]:
                self.sess.run(None, f)

    def round(self, calls1, calls64):
        run = self.sess.run
        for batch, feeds, calls in ((1, self.b1, calls1), (64, self.b64, calls64)):
            out = self.times[batch]
            for i in range(calls):
                f = feeds[i % len(feeds)]
                t0 = time.perf_counter_ns()
                run(None, f)
                out.append(time.perf_counter_ns() - t0)

    def stats(self):
        res = {}
        for batch, ns in self.times.items():
            ms = np.asarray(ns) / 1e6
            res[f"b{batch}"] = {"p50": float(np.median(ms)), "p90": float(np.percentile(ms, 90)),
                                "calls": int(len(ms))}
        return res


def measure_latency(models, x, rounds, calls1, calls64):
    """models: {key: path}. Rounds alternate the models so that drift in the machine's load hits all."""
    timers = {k: Timer(p, x) for k, p in models.items()}
    for _ in range(rounds):
        for t in timers.values():
            t.round(calls1 // rounds, calls64 // rounds)
    return {k: t.stats() for k, t in timers.items()}


def rows_for(transfer_rows):
    """rows=N for the enlarged-transfer-set student: 4x the rows, at least 20,000."""
    return max(4 * transfer_rows, 20_000)


def identity_model(path, features):
    graph = helper.make_graph([helper.make_node("Identity", ["input"], ["output"])], "identity",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, features])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [None, features])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", required=True, type=Path)
    ap.add_argument("--work", required=True, type=Path)
    ap.add_argument("--results", type=Path)
    ap.add_argument("--markdown", type=Path)
    ap.add_argument("--datasets", default="noisy,separable,digits")
    ap.add_argument("--calls1", type=int, default=2000, help="timed calls at batch 1 per model")
    ap.add_argument("--calls64", type=int, default=500, help="timed calls at batch 64 per model")
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--quick", action="store_true", help="smaller teachers and fewer calls: a smoke test")
    ap.add_argument("--command", default=None, help="the command line to record")
    args = ap.parse_args()
    sizes = [(20, 3), (50, 4), (100, 5)] if args.quick else TEACHER_SIZES
    if args.quick:
        args.calls1, args.calls64 = 200, 40
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    store = work / "artifacts"
    jar = args.jar.resolve()

    started = dt.datetime.now(dt.timezone.utc)
    t_start = time.perf_counter()
    load_before = loadavg()
    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), "?")
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()[0]
    machine = {"nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(), "python": platform.python_version(),
               "java": java, "onnxruntime": ort.__version__, "xgboost": xgb.__version__,
               "lightgbm": lgb.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__}
    log(f"load before: {' '.join(load_before)}; {machine}")

    optimizer_jar = {"path": str(jar), "bytes": jar.stat().st_size,
                     "sha256": hashlib.sha256(jar.read_bytes()).hexdigest()}
    results = {"started": started.isoformat(timespec="seconds"), "command": args.command, "machine": machine,
               "optimizerJar": optimizer_jar,
               "loadBefore": load_before, "settings": {
                   "teacherSizes": sizes, "teacherLearningRate": 0.1, "student": STUDENT,
                   "smallStudent": SMALL_STUDENT, "studentEta": STUDENT_ETA, "optimizerSamples": SAMPLES,
                   "latency": {"calls1": args.calls1, "calls64": args.calls64, "rounds": args.rounds,
                               "threads": "intra 1, inter 1, sequential", "graphOptimization": "ORT default (all)"}},
               "overhead": None, "cases": []}

    wanted = set(args.datasets.split(","))
    for data_name, data_desc, (x, y) in datasets(wanted):
        x = x.astype(np.float32)
        x_tr, x_ho, y_tr, y_ho = train_test_split(x, y, test_size=0.25, random_state=SEED, stratify=y)
        d = work / data_name
        d.mkdir(exist_ok=True)
        transfer, heldout = d / "transfer.npy", d / "heldout.npy"
        np.save(transfer, x_tr)
        np.save(heldout, x_ho)
        classes = int(len(np.unique(y)))
        log(f"{data_name}: {len(x_tr)} transfer rows, {len(x_ho)} held out, {x.shape[1]} features, {classes} classes")

        if results["overhead"] is None:
            # ONNX Runtime's fixed cost per call: an Identity graph, and a 1-tree model of depth 1 converted
            # like the others (TreeEnsemble plus the same post-processing as every classifier here).
            one = fit("xgboost", 1, 1, 0.3, x_tr, y_tr)
            _, one_onnx, _ = optimize(jar, save(one, "xgboost", d / "one_tree"), store, "--samples", "0")
            ident = identity_model(d / "identity.onnx", x.shape[1])
            lat = measure_latency({"identity": ident, "one_tree": one_onnx}, x_ho, args.rounds,
                                  args.calls1, args.calls64)
            results["overhead"] = {"data": data_name, "identity": lat["identity"], "oneTree": lat["one_tree"],
                                   "oneTreeBytes": one_onnx.stat().st_size}
            log(f"overhead per call: identity b1 {lat['identity']['b1']['p50']:.4f} ms, 1 tree b1 "
                f"{lat['one_tree']['b1']['p50']:.4f} ms, b64 {lat['one_tree']['b64']['p50']:.4f} ms")

        for library in ("xgboost", "lightgbm"):
            prefix = "xgb" if library == "xgboost" else "lgb"
            models, meta = {}, {}

            # Baselines: the student's size and step, trained on the labels, converted with no passes.
            for trees, depth in (STUDENT, SMALL_STUDENT):
                key = f"baseline_{trees}x{depth}"
                t0 = time.perf_counter()
                m = fit(library, trees, depth, STUDENT_ETA, x_tr, y_tr)
                fit_s = time.perf_counter() - t0
                _, path, conv_s = optimize(jar, save(m, library, d / f"{prefix}_{key}"), store, "--samples", "0")
                models[key] = path
                meta[key] = {"role": "baseline", "trees": trees, "depth": depth, "eta": STUDENT_ETA,
                             "fitSeconds": fit_s, "convertSeconds": conv_s}

            for trees, depth in sizes:
                tkey = f"teacher_{trees}x{depth}"
                t0 = time.perf_counter()
                m = fit(library, trees, depth, 0.1, x_tr, y_tr)
                fit_s = time.perf_counter() - t0
                src = save(m, library, d / f"{prefix}_{tkey}")
                _, tpath, conv_s = optimize(jar, src, store, "--samples", "0")
                # The teacher's ONNX must answer as the library does before anything is compared with it.
                _, onnx_probs = predict(session(tpath), x_ho)
                diff = float(np.max(np.abs(onnx_probs - m.predict_proba(x_ho))))
                models[tkey] = tpath
                meta[tkey] = {"role": "teacher", "trees": trees, "depth": depth, "eta": 0.1, "fitSeconds": fit_s,
                              "convertSeconds": conv_s, "sourceBytes": src.stat().st_size,
                              "onnxVsLibraryMaxAbsDiff": diff}
                log(f"{prefix} {data_name} teacher {trees}x{depth}: fit {fit_s:.1f} s, ONNX vs predict_proba "
                    f"max |diff| {diff:.3g}")
                # The largest teacher also gets a smaller student, and the default student on a transfer
                # set enlarged by the pass's rows=N (rows sampled around the given ones).
                students = [(*STUDENT, 0)]
                if (trees, depth) == sizes[-1]:
                    students.append((*SMALL_STUDENT, 0))
                    if data_name != "separable":  # agreement there is >= 0.9996 without it
                        students.append((*STUDENT, rows_for(len(x_tr))))
                for st, sd, rows in students:
                    skey = f"student_{st}x{sd}{f'_rows{rows}' if rows else ''}_of_{trees}x{depth}"
                    params = ([] if (st, sd) == STUDENT else [f"trees={st}", f"depth={sd}"]) \
                        + ([f"rows={rows}"] if rows else [])
                    pass_arg = "distill" + (":" + ",".join(params) if params else "")
                    summary, spath, dist_s = optimize(jar, src, store, "--pass", pass_arg, "--data", transfer,
                                                      "--sample-file", heldout, "--samples", str(SAMPLES))
                    models[skey] = spath
                    meta[skey] = {"role": "student", "trees": st, "depth": sd, "eta": STUDENT_ETA, "rows": rows,
                                  "teacher": tkey, "pass": pass_arg, "optimizerSeconds": dist_s,
                                  "optimizerValidation": summary.get("validation")}
                    log(f"  student {pass_arg}: {dist_s:.1f} s, optimizer's validation top-1 "
                        f"{summary['validation']['top1Agreement']}")

            # Agreement and accuracy on every held-out row.
            preds = {k: predict(session(p), x_ho) for k, p in models.items()}
            for k, (lab, prob) in preds.items():
                teacher_key = meta[k].get("teacher") or (k if meta[k]["role"] == "teacher" else None)
                meta[k]["bytes"] = models[k].stat().st_size
                meta[k]["accuracy"] = float(np.mean(lab == y_ho))
                if teacher_key:
                    meta[k]["top1AgreementWithTeacher"] = float(np.mean(lab == preds[teacher_key][0]))
                    # Where the two disagree, who has the true label: a teacher that learned label noise
                    # by heart disagrees with any smaller model on exactly the rows it gets wrong.
                    differ = lab != preds[teacher_key][0]
                    meta[k]["disagreements"] = int(differ.sum())
                    meta[k]["disagreementsStudentRight"] = int((lab[differ] == y_ho[differ]).sum())
                    meta[k]["disagreementsTeacherRight"] = int((preds[teacher_key][0][differ] == y_ho[differ]).sum())
                    meta[k]["maxAbsErrorVsTeacher"] = float(np.max(np.abs(prob - preds[teacher_key][1])))
            for k in [k for k in models if meta[k]["role"] == "baseline"]:
                meta[k]["top1AgreementWithTeachers"] = {
                    t: float(np.mean(preds[k][0] == preds[t][0])) for t in models if meta[t]["role"] == "teacher"}

            log(f"{prefix} {data_name}: latency of {len(models)} models, interleaved, load {' '.join(loadavg())}")
            load_at = loadavg()
            lat = measure_latency(models, x_ho, args.rounds, args.calls1, args.calls64)
            load_at += loadavg()
            for k in models:
                meta[k]["latencyMillis"] = lat[k]
            results["cases"].append({"data": data_name, "dataDescription": data_desc, "library": library,
                                     "transferRows": int(len(x_tr)), "heldOutRows": int(len(x_ho)),
                                     "features": int(x.shape[1]), "classes": classes,
                                     "loadDuringLatency": load_at, "models": meta})

    results["loadAfter"] = loadavg()
    results["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    results["seconds"] = round(time.perf_counter() - t_start, 1)
    log(f"load after: {' '.join(results['loadAfter'])}; {results['seconds']} s")
    if args.results:
        args.results.write_text(json.dumps(results, indent=1) + "\n")
    md = markdown(results)
    if args.markdown:
        args.markdown.write_text(md)
    print(md)


def ratio(x):
    return f"{x:.0f}×" if x >= 10 else f"{x:.1f}×" if x >= 0.1 else f"{x:.2f}×"


def fmt_ms(x):
    return f"{x:.4f}" if x < 0.1 else f"{x:.3f}" if x < 10 else f"{x:.1f}"


def markdown(r):
    """The tables; the findings are written by hand after reading them."""
    lines = []
    o = r["overhead"]
    lines.append("| data | library | teacher (trees × depth) | student | bytes teacher → student | "
                 "b1 ms p50 / p90 teacher → student | b64 ms p50 / p90 teacher → student | "
                 "speed-up b1 / b64 | 1-tree floor ÷ student b1 | agreement with teacher | "
                 "accuracy teacher / student | disagreements: student / teacher right | baseline on labels: agreement / accuracy |")
    lines.append("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    floor = o["oneTree"]["b1"]["p50"]
    for c in r["cases"]:
        m = c["models"]
        lib = "XGBoost" if c["library"] == "xgboost" else "LightGBM"
        for k, s in m.items():
            if s["role"] != "student":
                continue
            t = m[s["teacher"]]
            b = m[f"baseline_{s['trees']}x{s['depth']}"]
            tl, sl = t["latencyMillis"], s["latencyMillis"]
            sp1 = tl["b1"]["p50"] / sl["b1"]["p50"]
            sp64 = tl["b64"]["p50"] / sl["b64"]["p50"]
            share = floor / sl["b1"]["p50"]
            rows = f", rows={s['rows']:,}" if s.get("rows") else ""
            lines.append(
                f"| {c['data']} | {lib} | {t['trees']} × {t['depth']} | {s['trees']} × {s['depth']}"
                f"{rows} | "
                f"{t['bytes']:,} → {s['bytes']:,} ({ratio(t['bytes'] / s['bytes'])}) | "
                f"{fmt_ms(tl['b1']['p50'])} / {fmt_ms(tl['b1']['p90'])} → {fmt_ms(sl['b1']['p50'])} / "
                f"{fmt_ms(sl['b1']['p90'])} | "
                f"{fmt_ms(tl['b64']['p50'])} / {fmt_ms(tl['b64']['p90'])} → {fmt_ms(sl['b64']['p50'])} / "
                f"{fmt_ms(sl['b64']['p90'])} | "
                f"{ratio(sp1)} / {ratio(sp64)} | {share:.0%} | {s['top1AgreementWithTeacher']:.4f} | "
                f"{t['accuracy']:.4f} / {s['accuracy']:.4f} | "
                f"{s['disagreements']}: {s['disagreementsStudentRight']} / {s['disagreementsTeacherRight']} | "
                f"{b['top1AgreementWithTeachers'][s['teacher']]:.4f} / {b['accuracy']:.4f} |")
    lines.append("")
    lines.append("Baselines (the same library on the labels, the student's trees, depth and step 0.3) and "
                 "ONNX Runtime's fixed cost per call:")
    lines.append("")
    lines.append("| data | model | bytes | b1 ms p50 / p90 | b64 ms p50 / p90 | accuracy |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: |")
    for c in r["cases"]:
        lib = "XGBoost" if c["library"] == "xgboost" else "LightGBM"
        for k, b in c["models"].items():
            if b["role"] == "baseline":
                l = b["latencyMillis"]
                lines.append(f"| {c['data']} | {lib} {b['trees']} × {b['depth']} on labels | {b['bytes']:,} | "
                             f"{fmt_ms(l['b1']['p50'])} / {fmt_ms(l['b1']['p90'])} | "
                             f"{fmt_ms(l['b64']['p50'])} / {fmt_ms(l['b64']['p90'])} | {b['accuracy']:.4f} |")
    for name, key in (("Identity graph (no work)", "identity"), ("XGBoost 1 tree of depth 1", "oneTree")):
        l = o[key]
        lines.append(f"| {o['data']} | {name} | {o['oneTreeBytes'] if key == 'oneTree' else '—'} | "
                     f"{fmt_ms(l['b1']['p50'])} / {fmt_ms(l['b1']['p90'])} | "
                     f"{fmt_ms(l['b64']['p50'])} / {fmt_ms(l['b64']['p90'])} | — |")
    lines.append("")
    lines.append("Teacher ONNX vs the library's own `predict_proba` (max abs difference over every held-out row): "
                 + "; ".join(f"{c['data']} {c['library']} {v['trees']}×{v['depth']} {v['onnxVsLibraryMaxAbsDiff']:.2g}"
                             for c in r["cases"] for v in c["models"].values() if v["role"] == "teacher") + ".")
    lines.append("")
    lines.append("1-minute load average at the start → end of each group's latency measurement: " + "; ".join(
        f"{c['data']} {c['library']} {c['loadDuringLatency'][0]} → {c['loadDuringLatency'][3]}" for c in r["cases"]) + ".")
    lines.append("")
    lines.append(f"Run {r['started']} – {r['finished']} ({r['seconds']:.0f} s), load average before "
                 f"{' / '.join(r['loadBefore'])}, after {' / '.join(r['loadAfter'])}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
