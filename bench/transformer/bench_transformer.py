"""A transformer end to end (issue 12, part 3): BERT-base through the optimizer, against the peers.

What it measures
----------------
A BERT-base-shaped encoder with a 3-label sequence-classification head (transformers'
`BertForSequenceClassification` from `BertConfig()`, randomly initialized with a fixed seed, since
no model hub is reachable; see make_model.py for the head's centring), exported from PyTorch to
ONNX (opset 17, inputs `input_ids` and `attention_mask` INT64 [batch, sequence], output `logits`
FP32 [batch, 3]; no `token_type_ids`). Variants:

  fp32                               the exported model
  modelship graph-optimize           `--pass graph-optimize` (level basic: standard ONNX ops)
  modelship graph-optimize extended  `--pass graph-optimize:level=extended` (ONNX Runtime's
                                     transformer fusions: Attention, SkipLayerNorm, BiasGelu, ...)
  modelship go + quantize-dynamic    `--pass graph-optimize --pass quantize-dynamic`
  modelship go + qd per-channel      `... --pass quantize-dynamic:perChannel=true`
  modelship go extended + qd         `--pass graph-optimize:level=extended --pass quantize-dynamic`
  ort quantize_dynamic               onnxruntime.quantization.quantize_dynamic on the fp32 model
  ort transformers-optimized fp32    onnxruntime.transformers.optimizer.optimize_model(model_type=bert)
  ort optimized + quantize_dynamic   quantize_dynamic on that, as onnxruntime's docs recommend
  optimum avx512_vnni dynamic        optimum's ORTQuantizer, AutoQuantizationConfig.avx512_vnni(
                                     is_static=False, per_channel=False) (this CPU has avx512_vnni)
  with --extra (run.sh passes it), to tell a difference of method from numerical noise:
  modelship quantize-dynamic (no graph-optimize)   `--pass quantize-dynamic` alone
  ort quantize_dynamic MatMul-only   op_types_to_quantize=[MatMul, Gemm]: the same int8 weights
                                     as the line above, byte for byte (onnxruntime's default also
                                     quantizes the embedding Gathers, which Modelship does not)

For each: file size; median latency of single `session.run` calls at batch 1 and batch 8,
sequence 128, with 1 intra-op thread and with ONNX Runtime's default (one per physical core: 2
here); max and mean abs error of the logits against the fp32 ONNX model, and argmax agreement,
on 256 fixed random sequences (seed 0, lengths 8..128 padded to 128 with attention mask 0).
If eval.npz has `labels` (train_synthetic.py's trained model), each variant's task accuracy is a
column too. results.jsonl also has the agreement on the rows whose fp32 top-1 margin is < 1.
Sessions use ORT_ENABLE_ALL, as the inference server does, so ONNX Runtime also fuses the fp32
model when it loads it: the offline graph-optimize mostly moves that work out of load time.

The Modelship optimizer validates every artifact it builds against the fp32 model on the 32
sequences of work/samples.request.json (seed 1), given with `--sample-file`.

Run (from a fresh venv: bench/transformer/run.sh does all of it):
  python bench/transformer/make_model.py               # work/fp32/model.onnx, eval set, samples
                                                       # (or train_synthetic.py: a trained model in
                                                       # work-trained/; then --work work-trained)
  python bench/transformer/bench_transformer.py        # builds the variants, measures, writes
                                                       # work/results.jsonl and work/results.md
  python bench/transformer/serve_check.py              # the Modelship int8 artifact behind the server
  python bench/transformer/accuracy_check.py           # accuracy columns again under the server's
                                                       # onnxruntime (1.28.0), from .venv-serve
Env: MODELSHIP_OPTIMIZER_JAR (default optimizer/target/modelship-optimizer.jar).
"""
import argparse
import collections
import json
import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
JAR = os.environ.get("MODELSHIP_OPTIMIZER_JAR", os.path.join(REPO, "optimizer", "target", "modelship-optimizer.jar"))


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def modelship(work, name, passes):
    """Runs the optimizer; returns (model path, summary, stderr lines)."""
    cmd = ["java", "-jar", JAR, "optimize", os.path.join(work, "fp32", "model.onnx"),
           "--out", os.path.join(work, "artifacts"),
           "--sample-file", os.path.join(work, "samples.request.json"), "--samples", "32"]
    for p in passes:
        cmd += ["--pass", p]
    log(" ".join(cmd))
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    os.makedirs(os.path.join(work, "logs"), exist_ok=True)
    with open(os.path.join(work, "logs", name.replace(" ", "_") + ".log"), "w") as f:
        f.write(" ".join(cmd) + "\n" + r.stderr + r.stdout)
    lines = r.stdout.strip().splitlines()
    summary = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else {"raw": r.stdout[-2000:]}
    log(f"  exit {r.returncode} in {time.time() - t:.0f} s")
    if r.returncode != 0:
        raise RuntimeError(f"optimizer exit {r.returncode}: {summary} {r.stderr[-3000:]}")
    return os.path.join(summary["location"], summary["file"]), summary, r.stderr.splitlines(), " ".join(cmd)


def build_variants(work, only, extra=False):
    fp32 = os.path.join(work, "fp32", "model.onnx")
    out = os.path.join(work, "variants")
    os.makedirs(out, exist_ok=True)
    variants = [("fp32", fp32, {"how": "torch.onnx.export(dynamo=False, opset 17)"})]

    def want(name):
        return not only or any(o in name for o in only)

    for name, passes in [
        ("modelship graph-optimize", ["graph-optimize"]),
        ("modelship graph-optimize extended", ["graph-optimize:level=extended"]),
        ("modelship go + quantize-dynamic", ["graph-optimize", "quantize-dynamic"]),
        ("modelship go + qd per-channel", ["graph-optimize", "quantize-dynamic:perChannel=true"]),
        ("modelship go extended + qd", ["graph-optimize:level=extended", "quantize-dynamic"]),
    ] + ([
        # --extra: the same weights as onnxruntime's, to tell a difference of method from noise
        ("modelship quantize-dynamic (no graph-optimize)", ["quantize-dynamic"]),
    ] if extra else []):
        if not want(name):
            continue
        try:
            path, summary, err, cmd = modelship(work, name, passes)
            notes = [l for l in err if l.startswith("[modelship]")]
            variants.append((name, path, {"how": cmd, "summary": summary, "log": notes}))
        except Exception as e:  # reported, not fatal: the other variants still run
            log(f"  FAILED: {e}")
            variants.append((name, None, {"error": str(e)}))

    from onnxruntime.quantization import QuantType, quantize_dynamic
    if want("ort quantize_dynamic"):
        p = os.path.join(out, "ort_qd.onnx")
        if not os.path.exists(p):
            log("onnxruntime quantize_dynamic (fp32)")
            quantize_dynamic(fp32, p, weight_type=QuantType.QInt8)
        variants.append(("ort quantize_dynamic", p, {"how": "quantize_dynamic(fp32, weight_type=QInt8)"}))
    if extra and want("ort quantize_dynamic MatMul-only"):
        p = os.path.join(out, "ort_qd_matmul.onnx")
        if not os.path.exists(p):
            log("onnxruntime quantize_dynamic (fp32, MatMul and Gemm only)")
            quantize_dynamic(fp32, p, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul", "Gemm"])
        variants.append(("ort quantize_dynamic MatMul-only", p,
                         {"how": "quantize_dynamic(fp32, weight_type=QInt8, op_types_to_quantize=[MatMul, Gemm])"}))
    if want("ort transformers-optimized") or want("ort optimized"):
        popt = os.path.join(out, "ort_opt.onnx")
        fused = {}
        if os.path.exists(popt + ".fused.json"):
            fused = json.load(open(popt + ".fused.json"))
        if not os.path.exists(popt):
            log("onnxruntime.transformers optimize_model (bert)")
            from onnxruntime.transformers.optimizer import optimize_model
            m = optimize_model(fp32, model_type="bert", num_heads=12, hidden_size=768, use_gpu=False)
            fused = m.get_fused_operator_statistics()
            m.save_model_to_file(popt)
            json.dump(fused, open(popt + ".fused.json", "w"))
            log(f"  fused: {fused}")
        variants.append(("ort transformers-optimized fp32", popt,
                         {"how": "optimize_model(model_type='bert', num_heads=12, hidden_size=768)", "fused": fused}))
        pq = os.path.join(out, "ort_opt_qd.onnx")
        if not os.path.exists(pq):
            log("onnxruntime quantize_dynamic (optimized)")
            # Without DefaultTensorType, onnxruntime 1.32's quantizer stops on the fused contrib ops:
            # "Unable to find data type for weight_name='/bert/encoder/layer.0/attention/output/dense/
            # MatMul_output_0'. shape_inference failed ..."; the message itself suggests this option.
            quantize_dynamic(popt, pq, weight_type=QuantType.QInt8,
                             extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        variants.append(("ort optimized + quantize_dynamic", pq,
                         {"how": "quantize_dynamic(optimized, weight_type=QInt8, extra_options={DefaultTensorType: FLOAT})"}))
    if want("optimum"):
        d = os.path.join(out, "optimum")
        p = os.path.join(d, "model_quantized.onnx")
        try:
            if not os.path.exists(p):
                log("optimum ORTQuantizer avx512_vnni dynamic")
                from optimum.onnxruntime import ORTQuantizer
                from optimum.onnxruntime.configuration import AutoQuantizationConfig
                q = ORTQuantizer.from_pretrained(os.path.join(work, "fp32"), file_name="model.onnx")
                qconfig = AutoQuantizationConfig.avx512_vnni(is_static=False, per_channel=False)
                q.quantize(save_dir=d, quantization_config=qconfig)
            variants.append(("optimum avx512_vnni dynamic", p,
                             {"how": "ORTQuantizer.quantize(AutoQuantizationConfig.avx512_vnni(is_static=False, per_channel=False))"}))
        except Exception as e:
            log(f"  optimum FAILED: {e!r}")
            variants.append(("optimum avx512_vnni dynamic", None, {"error": repr(e)}))
    return variants


def session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads  # 0: ONNX Runtime's default, one per physical core
    so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def latency_ms(sess, feed, runs, warmup=3):
    for _ in range(warmup):
        sess.run(None, feed)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        sess.run(None, feed)
        times.append(time.perf_counter() - t)
    return 1000 * float(np.median(times))


def logits_of(sess, ids, mask, batch=8):
    return np.concatenate([sess.run(None, {"input_ids": ids[i:i + batch], "attention_mask": mask[i:i + batch]})[0]
                           for i in range(0, len(ids), batch)])


def op_histogram(path):
    m = onnx.load(path, load_external_data=False)
    return dict(collections.Counter(n.op_type for n in m.graph.node).most_common())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", default=os.path.join(HERE, "work"))
    ap.add_argument("--only", nargs="*", help="variant name substrings to build (fp32 always)")
    ap.add_argument("--runs1", type=int, default=5, help="timed calls at batch 1 per variant per round")
    ap.add_argument("--runs8", type=int, default=2, help="timed calls at batch 8 per variant per round")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", nargs="*", type=int, default=[1, 0])
    ap.add_argument("--build-only", action="store_true", help="build the variants, measure nothing")
    ap.add_argument("--extra", action="store_true",
                    help="also modelship quantize-dynamic alone and onnxruntime's MatMul/Gemm-only quantize_dynamic")
    ap.add_argument("--tag", default="", help="results-<tag>.jsonl / .md instead of results.jsonl / .md")
    args = ap.parse_args()
    work = args.work
    ev = np.load(os.path.join(work, "eval.npz"))
    ids, mask = ev["input_ids"], ev["attention_mask"]
    labels = ev["labels"] if "labels" in ev.files else None

    variants = build_variants(work, args.only, args.extra)
    if args.build_only:
        for name, path, meta in variants:
            print(name, path, meta.get("error", ""))
        return
    results = []
    ref = None
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    live = []  # (row, path) of the variants that were built
    for name, path, meta in variants:
        row = {"variant": name, **{k: v for k, v in meta.items() if k != "summary"}}
        if "summary" in meta:
            s = meta["summary"]
            row["optimizer_validation"] = s.get("validation")
            row["artifact"] = s.get("location")
        results.append(row)
        if path is None:
            continue
        live.append((row, path))
        row["path"] = os.path.relpath(path, work)
        row["bytes"] = os.path.getsize(path)
        row["ops"] = op_histogram(path)
        cached = os.path.join(work, "logits", name.replace(" ", "_") + ".npy")
        if os.path.exists(cached) and os.path.getmtime(cached) > os.path.getmtime(path):
            out = np.load(cached)
            log(f"{name}: {row['bytes']} bytes; logits from {os.path.relpath(cached, work)}")
        else:
            log(f"{name}: {row['bytes']} bytes; logits of {len(ids)} sequences")
            out = logits_of(session(path, 0), ids, mask)
            os.makedirs(os.path.dirname(cached), exist_ok=True)
            np.save(cached, out)
        if ref is None:
            ref = out
        err = np.abs(out - ref)
        row["max_abs_error"] = float(err.max())
        row["mean_abs_error"] = float(err.mean())
        row["argmax_agreement"] = float(np.mean(out.argmax(1) == ref.argmax(1)))
        top2 = np.sort(ref, axis=1)
        margin = top2[:, -1] - top2[:, -2]
        confident = margin >= 0.5  # fp32 top-1 margin of at least half a logit std
        row["confident_rows"] = int(confident.sum())
        row["argmax_agreement_margin_ge_0.5"] = float(np.mean(out.argmax(1)[confident] == ref.argmax(1)[confident]))
        low = margin < 1
        row["low_margin_rows"] = int(low.sum())
        row["argmax_agreement_margin_lt_1"] = float(np.mean(out.argmax(1)[low] == ref.argmax(1)[low])) if low.any() else None
        if labels is not None:  # eval.npz of a trained model (train_synthetic.py) has the task's labels
            row["task_accuracy"] = float(np.mean(out.argmax(1) == labels))
        log(f"  max abs error {row['max_abs_error']:.4g}, argmax agreement {row['argmax_agreement']:.4f}"
            + (f", task accuracy {row['task_accuracy']:.4f}" if labels is not None else ""))

    # Latency: the machine is shared, so the variants are interleaved: in each round every
    # variant gets --runs1 calls at batch 1 and --runs8 at batch 8 (the order rotates by round),
    # and the figure is the median of all its calls over the rounds.
    feeds = {1: {"input_ids": ids[:1], "attention_mask": mask[:1]}, 8: {"input_ids": ids[:8], "attention_mask": mask[:8]}}
    for threads in args.threads:
        key = f"t{threads or 'default'}"
        log(f"latency, intra-op threads {threads or 'default'}: loading {len(live)} sessions")
        sessions = [session(path, threads) for _, path in live]
        times = [{1: [], 8: []} for _ in live]
        rounds = [[] for _ in live]
        for sess in sessions:
            for b in (1, 8):
                for _ in range(2):
                    sess.run(None, feeds[b])
        for r in range(args.rounds):
            order = list(range(len(live)))
            order = order[r % len(order):] + order[:r % len(order)]
            for i in order:
                per = {}
                for b, n in ((1, args.runs1), (8, args.runs8)):
                    ts = []
                    for _ in range(n):
                        t = time.perf_counter()
                        sessions[i].run(None, feeds[b])
                        ts.append(1000 * (time.perf_counter() - t))
                    times[i][b] += ts
                    per[b] = float(np.median(ts))
                rounds[i].append(per)
            log(f"  round {r + 1}/{args.rounds} done, load average {os.getloadavg()[0]:.1f}")
        for (row, _), t, rr in zip(live, times, rounds):
            row[f"{key}_b1_ms"] = float(np.median(t[1]))
            row[f"{key}_b8_ms"] = float(np.median(t[8]))
            row[f"{key}_rounds"] = rr
            log(f"  {row['variant']}: batch 1 {row[f'{key}_b1_ms']:.1f} ms, batch 8 {row[f'{key}_b8_ms']:.1f} ms")
        del sessions

    env = {"started": started, "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "onnxruntime": ort.__version__, "onnx": onnx.__version__, "python": platform.python_version(),
           "loadavg": os.getloadavg(), "cpu": platform.processor() or "", "nproc": os.cpu_count()}
    try:
        import torch, transformers
        env["torch"], env["transformers"] = torch.__version__, transformers.__version__
    except Exception:
        pass
    with open(os.path.join(work, f"results{'-' + args.tag if args.tag else ''}.jsonl"), "w") as f:
        f.write(json.dumps({"env": env}) + "\n")
        for r in results:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(work, f"results{'-' + args.tag if args.tag else ''}.md"), "w") as f:
        f.write(render(results, env))
    print(render(results, env))


def render(results, env):
    base = next(r for r in results if r["variant"] == "fp32")
    task = "task_accuracy" in base  # eval.npz had labels
    lines = [f"Runs {env['started']} to {env['finished']}, onnxruntime {env['onnxruntime']} (Python), CPU provider, "
             f"ORT_ENABLE_ALL, {env['nproc']} cores shared (load average at the end {env['loadavg'][0]:.1f}); latency = median of "
             f"single calls over interleaved rounds, sequence 128. "
             f"Error and agreement: logits vs the fp32 ONNX model on 256 sequences.", "",
             "| variant | bytes | b1 ms (1 thr) | b8 ms (1 thr) | b1 ms (default thr) | b8 ms (default thr) "
             "| speed-up b1 / b8 (1 thr) | speed-up b1 / b8 (default) | max abs error | mean abs error | argmax agreement "
             "| agreement, fp32 margin ≥ 0.5 |" + (" task accuracy |" if task else ""),
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |" + (" ---: |" if task else "")]
    for r in results:
        if "bytes" not in r:
            lines.append(f"| {r['variant']} | failed: {r.get('error', '')[:300]} | | | | | | | | | | |" + (" |" if task else ""))
            continue

        def g(k):
            return r.get(k, float("nan"))

        def sp(k):
            return base.get(k, float("nan")) / g(k)
        lines.append(
            f"| {r['variant']} | {r['bytes']} | {g('t1_b1_ms'):.1f} | {g('t1_b8_ms'):.0f} | {g('tdefault_b1_ms'):.1f} | "
            f"{g('tdefault_b8_ms'):.0f} | {sp('t1_b1_ms'):.2f}× / {sp('t1_b8_ms'):.2f}× | "
            f"{sp('tdefault_b1_ms'):.2f}× / {sp('tdefault_b8_ms'):.2f}× | {r['max_abs_error']:.3g} | "
            f"{r['mean_abs_error']:.3g} | {r['argmax_agreement']:.4f} | "
            f"{r['argmax_agreement_margin_ge_0.5']:.4f} ({r['confident_rows']} rows) |"
            + (f" {r['task_accuracy']:.4f} |" if task else ""))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
