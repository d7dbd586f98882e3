"""Build the BERT-base-shaped classifier, export it to ONNX, and write the fixed inputs.

No model hub is reachable here, so the weights are transformers' own random initialization
from BertConfig() (BERT-base: 12 layers, hidden 768, 12 heads, intermediate 3072, vocab 30522,
GELU, LayerNorm) with torch.manual_seed(0), and a 3-label sequence-classification head.

The head: a randomly initialized BERT's logits hardly depend on the input (its classifier
bias of the random features dominates: with the raw init, all 256 evaluation sequences get
label 0, so "argmax agreement" would be 100 % whatever a variant does). So the classifier keeps
its random directions but is centred and scaled on 256 *other* random sequences (seed 2): bias
= -W·mean(pooled), W divided by the logits' standard deviation there. Labels are then spread
over the three classes and the logits have unit scale, like a trained head's; nothing is fitted
to the evaluation set. Argmax agreement does not depend on the scale, only on the centring.

Writes into --out (default bench/transformer/work):
  fp32/model.onnx       the fp32 model: inputs input_ids, attention_mask (INT64 [batch, sequence]),
                        output logits (FP32 [batch, 3]); opset 17, dynamic batch and sequence
  fp32/config.json      the BertConfig (optimum's ORTQuantizer wants one next to the model)
  eval.npz              the evaluation set: 256 sequences of length 128 (seed 0), realistic
                        lengths 8..128 with [CLS] ... [SEP] then padding, and its attention mask
  samples.request.json  32 other sequences (seed 1) as a V2 inference request: the optimizer's
                        --sample-file for validation
  torch_logits.npy      PyTorch's fp32 logits on the evaluation set (to check the export)
"""
import argparse
import json
import os

import numpy as np
import torch

SEQ = 128
CLS, SEP, PAD = 101, 102, 0
LABELS = 3


def token_batch(n, seed, seq=SEQ):
    """n sequences of `seq` token ids: [CLS], random word-piece ids, [SEP], padding."""
    rng = np.random.default_rng(seed)
    ids = np.full((n, seq), PAD, dtype=np.int64)
    mask = np.zeros((n, seq), dtype=np.int64)
    lengths = rng.integers(8, seq + 1, size=n)
    for i, length in enumerate(lengths):
        ids[i, 0] = CLS
        ids[i, 1:length - 1] = rng.integers(1000, 30522, size=length - 2)
        ids[i, length - 1] = SEP
        mask[i, :length] = 1
    return ids, mask


def build_model():
    from transformers import BertConfig, BertForSequenceClassification
    torch.manual_seed(0)
    config = BertConfig(num_labels=LABELS, attn_implementation="eager")  # the defaults are BERT-base's
    model = BertForSequenceClassification(config)
    model.eval()
    return config, model


def export_onnx(model, ids, mask, torch_logits, out):
    """Exports the classifier to out/fp32/model.onnx (INT64 input_ids and attention_mask, [batch, sequence]
    dynamic; FP32 logits [batch, labels]; opset 17) and checks it against PyTorch's logits on (ids, mask).
    Returns onnxruntime's logits."""
    path = os.path.join(out, "fp32", "model.onnx")
    torch.onnx.export(
        model, (torch.from_numpy(ids[:2]), torch.from_numpy(mask[:2])), path,
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                      "attention_mask": {0: "batch", 1: "sequence"},
                      "logits": {0: "batch"}},
        opset_version=17, do_constant_folding=True, dynamo=False)
    print(f"exported {path}: {os.path.getsize(path)} bytes")

    import onnxruntime as ort
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    onnx_logits = np.concatenate([sess.run(None, {"input_ids": ids[i:i + 32], "attention_mask": mask[i:i + 32]})[0]
                                  for i in range(0, len(ids), 32)])
    print(f"onnx vs torch: max abs diff {np.abs(onnx_logits - torch_logits).max():.3g}, "
          f"argmax agreement {np.mean(onnx_logits.argmax(1) == torch_logits.argmax(1)):.4f}")
    return onnx_logits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"))
    ap.add_argument("--eval-n", type=int, default=256)
    args = ap.parse_args()
    os.makedirs(os.path.join(args.out, "fp32"), exist_ok=True)
    torch.set_num_threads(2)

    config, model = build_model()
    config.save_pretrained(os.path.join(args.out, "fp32"))
    c_ids, c_mask = token_batch(256, seed=2)
    with torch.no_grad():
        pooled = torch.cat([model.bert(input_ids=torch.from_numpy(c_ids[i:i + 32]),
                                       attention_mask=torch.from_numpy(c_mask[i:i + 32])).pooler_output
                            for i in range(0, len(c_ids), 32)])
        w = model.classifier.weight
        raw = pooled @ w.T
        w.div_(raw.std(0, keepdim=True).T)
        model.classifier.bias.copy_(-(pooled.mean(0) @ w.T))
    print(f"head centred and scaled on 256 calibration sequences (seed 2); pooled output std across "
          f"inputs {pooled.std(0).mean():.4g} (mean over features)")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"BertForSequenceClassification: {n_params} parameters, {config.num_hidden_layers} layers, "
          f"hidden {config.hidden_size}, heads {config.num_attention_heads}, "
          f"intermediate {config.intermediate_size}, vocab {config.vocab_size}, act {config.hidden_act}")

    ids, mask = token_batch(args.eval_n, seed=0)
    np.savez(os.path.join(args.out, "eval.npz"), input_ids=ids, attention_mask=mask)
    s_ids, s_mask = token_batch(32, seed=1)
    request = {"inputs": [
        {"name": "input_ids", "shape": list(s_ids.shape), "datatype": "INT64", "data": s_ids.ravel().tolist()},
        {"name": "attention_mask", "shape": list(s_mask.shape), "datatype": "INT64", "data": s_mask.ravel().tolist()},
    ]}
    with open(os.path.join(args.out, "samples.request.json"), "w") as f:
        json.dump(request, f)

    with torch.no_grad():
        logits = torch.cat([model(input_ids=torch.from_numpy(ids[i:i + 32]),
                                  attention_mask=torch.from_numpy(mask[i:i + 32])).logits
                            for i in range(0, len(ids), 32)]).numpy()
    np.save(os.path.join(args.out, "torch_logits.npy"), logits)

    export_onnx(model, ids, mask, logits, args.out)
    spread = np.sort(logits, axis=1)
    print(f"torch logits: std {logits.std():.4g}, per-class mean {logits.mean(0)}, "
          f"argmax histogram {np.bincount(logits.argmax(1), minlength=LABELS)}, "
          f"median top-1 margin {np.median(spread[:, -1] - spread[:, -2]):.4g}")


if __name__ == "__main__":
    main()
