"""Fine-tune the BERT-base-shaped classifier on a synthetic, learnable 3-class task, export it to ONNX.

Why: make_model.py's randomly initialized model has tiny top-1 margins (median ~0.5 logit), so an
int8 variant's argmax agreement with fp32 mostly measures coin flips near the decision boundary.
A trained classifier has confident logits. No checkpoint or dataset can be downloaded here, so the
model (BertConfig() defaults: BERT-base, 12 layers, hidden 768, 12 heads, intermediate 3072,
vocab 30522; 3 labels; eager attention; torch.manual_seed) is trained from its random init on a
task generated here.

The task ("which marker set is planted most often"): three disjoint marker sets of 5 word-piece
ids each (drawn once, seed 1234, from 1000..30521). A sequence is [CLS], random word-piece ids
1000..30521 (never a marker), [SEP], then padding (attention mask 0), as make_model.token_batch.
Its label c is uniform over 0..2; k markers from set c are planted at random positions (k uniform
in 1..3) and, for each other set, uniform 0..k-1 markers from it: the label is the set with
strictly the most planted markers. Markers are drawn with replacement from their set.

Training: AdamW (weight decay 0.01, none on biases and LayerNorm weights), linear warm-up then
linear decay to 0, gradient clipping 1.0, BERT's default dropout, on freshly generated batches
(the batch of step s uses seed 10**6 + s), lengths uniform in --min-len..--train-max-len, each
batch padded to its longest sequence. --lr for the 12 encoder layers, --emb-lr for the
embeddings, pooler and classifier. torch.set_num_threads(--threads, default 2; 1 is faster when
another process holds a core). A checkpoint (model, optimizer and scheduler state_dict, step) is
written to <out>/checkpoint.pt every --ckpt-every steps and at the end; the script resumes from it
(delete it to train afresh).

Then writes into --out (default bench/transformer/work-trained), as make_model.py does:
  fp32/model.onnx       inputs input_ids, attention_mask (INT64 [batch, sequence]), output logits
                        (FP32 [batch, 3]); opset 17, dynamo=False, dynamic batch and sequence
  fp32/config.json      the BertConfig
  eval.npz              256 held-out sequences (seed 0) padded to 128, lengths --min-len..--eval-max-len,
                        with attention_mask and labels
  samples.request.json  32 other sequences (seed 1) as a V2 request: the optimizer's --sample-file
  torch_logits.npy      PyTorch's fp32 logits on eval.npz
  train_log.jsonl       loss and accuracy during training
and prints the fp32 task accuracy on eval.npz and its median top-1 margin.

  nice -n 10 .venv/bin/python bench/transformer/train_synthetic.py --time-steps 4   # step time only
  # what was run on 2026-11-30 (300 steps, ~24 min on one core of a shared 2-core machine):
  nice -n 10 .venv/bin/python bench/transformer/train_synthetic.py --steps 300 --warmup 20 \
      --lr 1e-4 --emb-lr 1e-3 --threads 1 --train-max-len 32 --eval-every 50
  .venv/bin/python bench/transformer/bench_transformer.py --extra --work bench/transformer/work-trained
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_model import CLS, LABELS, PAD, SEP, SEQ, export_onnx  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MARKER_SET_SIZE = 5
MARKERS = np.random.default_rng(1234).choice(np.arange(1000, 30522), size=(LABELS, MARKER_SET_SIZE), replace=False)
MARKER_IDS = np.sort(MARKERS.ravel())


def task_batch(n, seed, min_len=10, max_len=SEQ, pad_to=SEQ, tie=False):
    """n sequences of the task: ([n, pad_to] input_ids, attention_mask, [n] labels).

    tie=True (not a task input: for margin_tail.py) plants k markers of the label's set *and* of
    the next set (label + 1 mod 3), so two sets tie for the most: the fp32 model's top-1 margin
    is small there by construction."""
    rng = np.random.default_rng(seed)
    ids = np.full((n, pad_to), PAD, dtype=np.int64)
    mask = np.zeros((n, pad_to), dtype=np.int64)
    labels = rng.integers(0, LABELS, size=n)
    lengths = rng.integers(min_len, max_len + 1, size=n)
    for i, (length, c) in enumerate(zip(lengths, labels)):
        body = rng.integers(1000, 30522, size=length - 2)
        hit = np.isin(body, MARKER_IDS)
        while hit.any():  # filler is never a marker
            body[hit] = rng.integers(1000, 30522, size=int(hit.sum()))
            hit = np.isin(body, MARKER_IDS)
        k = int(rng.integers(1, 4))
        counts = [k if s == c or (tie and s == (c + 1) % LABELS) else int(rng.integers(0, k)) for s in range(LABELS)]
        planted = np.concatenate([rng.choice(MARKERS[s], size=counts[s]) for s in range(LABELS)])
        pos = rng.choice(length - 2, size=len(planted), replace=False)
        body[pos] = planted
        ids[i, 0] = CLS
        ids[i, 1:length - 1] = body
        ids[i, length - 1] = SEP
        mask[i, :length] = 1
    return ids, mask, labels


def build_model():
    from transformers import BertConfig, BertForSequenceClassification
    torch.manual_seed(0)
    config = BertConfig(num_labels=LABELS, attn_implementation="eager")  # the defaults are BERT-base's
    return config, BertForSequenceClassification(config)


def logits_of(model, ids, mask, batch=32):
    model.eval()
    with torch.no_grad():
        return torch.cat([model(input_ids=torch.from_numpy(ids[i:i + batch]),
                                attention_mask=torch.from_numpy(mask[i:i + batch])).logits
                          for i in range(0, len(ids), batch)]).numpy()


def margins(logits):
    s = np.sort(logits, axis=1)
    return s[:, -1] - s[:, -2]


def report(tag, logits, labels):
    acc = float(np.mean(logits.argmax(1) == labels))
    m = margins(logits)
    print(f"{tag}: accuracy {acc:.4f} on {len(labels)}, top-1 margin median {np.median(m):.3g}, "
          f"min {m.min():.3g}, < 1: {int((m < 1).sum())}, < 2: {int((m < 2).sum())}", flush=True)
    return acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "work-trained"))
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=30)
    ap.add_argument("--min-len", type=int, default=10)
    ap.add_argument("--train-max-len", type=int, default=48)
    ap.add_argument("--eval-max-len", type=int, default=SEQ, help="longest evaluation sequence (padded to 128 anyway)")
    ap.add_argument("--eval-every", type=int, default=25)
    ap.add_argument("--ckpt-every", type=int, default=50)
    ap.add_argument("--time-steps", type=int, default=0, help="only time this many training steps, save nothing")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--emb-lr", type=float, default=None,
                    help="learning rate of the embeddings, pooler and classifier (default: --lr)")
    ap.add_argument("--skip-train", action="store_true", help="export the checkpoint as it is")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(os.path.join(args.out, "fp32"), exist_ok=True)
    print(f"marker sets (label: ids): {json.dumps({c: MARKERS[c].tolist() for c in range(LABELS)})}", flush=True)

    config, model = build_model()
    n_params = sum(p.numel() for p in model.parameters())
    print(f"BertForSequenceClassification: {n_params} parameters, {config.num_hidden_layers} layers, "
          f"hidden {config.hidden_size}, heads {config.num_attention_heads}, "
          f"intermediate {config.intermediate_size}, vocab {config.vocab_size}", flush=True)
    no_decay = ("bias", "LayerNorm.weight")
    groups = []
    for outer in (False, True):  # encoder layers; embeddings, pooler and classifier (--emb-lr)
        for decay in (True, False):
            ps = [p for n, p in model.named_parameters()
                  if ("encoder.layer." not in n) == outer and (not any(k in n for k in no_decay)) == decay]
            groups.append({"params": ps, "weight_decay": 0.01 if decay else 0.0,
                           "lr": (args.emb_lr or args.lr) if outer else args.lr})
    opt = torch.optim.AdamW(groups, lr=args.lr)
    total = args.time_steps or args.steps
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / args.warmup, max(0.0, (total - s) / max(1, total - args.warmup))))
    ckpt = os.path.join(args.out, "checkpoint.pt")
    step = 0
    if os.path.exists(ckpt) and not args.time_steps:
        state = torch.load(ckpt, map_location="cpu")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        step = state["step"]
        print(f"resumed from {ckpt} at step {step}", flush=True)

    def save():
        tmp = ckpt + ".tmp"
        torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                    "step": step, "args": vars(args)}, tmp)
        os.replace(tmp, ckpt)

    # held-out monitoring set: 128 sequences of training lengths and 128 up to 128 tokens (seed 7)
    mon_ids, mon_mask, mon_y = task_batch(128, seed=7, min_len=args.min_len, max_len=args.train_max_len)
    long_ids, long_mask, long_y = task_batch(128, seed=8, min_len=args.min_len, max_len=SEQ)
    logf = open(os.path.join(args.out, "train_log.jsonl"), "a") if not args.time_steps else None
    t_start = time.time()
    train = not args.skip_train
    while train and step < total:
        model.train()
        ids, mask, y = task_batch(args.batch, seed=10**6 + step, min_len=args.min_len,
                                  max_len=args.train_max_len, pad_to=args.train_max_len)
        width = int(mask.sum(1).max())
        t = time.time()
        out = model(input_ids=torch.from_numpy(ids[:, :width]), attention_mask=torch.from_numpy(mask[:, :width]),
                    labels=torch.from_numpy(y))
        out.loss.backward()
        gnorm = float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        acc = float((out.logits.detach().argmax(1).numpy() == y).mean())
        rec = {"step": step, "loss": out.loss.item(), "batch_acc": acc, "grad_norm": gnorm,
               "lr": sched.get_last_lr()[0], "step_s": time.time() - t, "elapsed_s": time.time() - t_start}
        if args.time_steps or step % 5 == 0 or step <= 5:
            print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in rec.items()}), flush=True)
        if not args.time_steps and (step % args.eval_every == 0 or step == total):
            rec["heldout_acc"] = report(f"step {step} held-out (lengths {args.min_len}..{args.train_max_len})",
                                        logits_of(model, mon_ids, mon_mask), mon_y)
            rec["heldout_long_acc"] = report(f"step {step} held-out (lengths {args.min_len}..{SEQ})",
                                             logits_of(model, long_ids, long_mask), long_y)
        if logf:
            logf.write(json.dumps(rec) + "\n")
            logf.flush()
        if not args.time_steps and (step % args.ckpt_every == 0 or step == total):
            save()
    if args.time_steps:
        return
    print(f"training: {step} steps, this run {time.time() - t_start:.0f} s", flush=True)
    model.eval()

    config.save_pretrained(os.path.join(args.out, "fp32"))
    ids, mask, labels = task_batch(256, seed=0, min_len=args.min_len, max_len=args.eval_max_len)
    np.savez(os.path.join(args.out, "eval.npz"), input_ids=ids, attention_mask=mask, labels=labels)
    s_ids, s_mask, _ = task_batch(32, seed=1, min_len=args.min_len, max_len=args.eval_max_len)
    request = {"inputs": [
        {"name": "input_ids", "shape": list(s_ids.shape), "datatype": "INT64", "data": s_ids.ravel().tolist()},
        {"name": "attention_mask", "shape": list(s_mask.shape), "datatype": "INT64", "data": s_mask.ravel().tolist()},
    ]}
    with open(os.path.join(args.out, "samples.request.json"), "w") as f:
        json.dump(request, f)
    logits = logits_of(model, ids, mask)
    np.save(os.path.join(args.out, "torch_logits.npy"), logits)
    report(f"fp32 (torch) on eval.npz (lengths {args.min_len}..{args.eval_max_len}, padded to {SEQ})", logits, labels)
    print(f"argmax histogram {np.bincount(logits.argmax(1), minlength=LABELS)}, labels {np.bincount(labels, minlength=LABELS)}")

    onnx_logits = export_onnx(model, ids, mask, logits, args.out)
    report("fp32 (onnxruntime) on eval.npz", onnx_logits, labels)


if __name__ == "__main__":
    main()
