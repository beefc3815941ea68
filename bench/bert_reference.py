#!/usr/bin/env python3
"""PyTorch reference of the course's BERT masked-LM pre-training (lib/models/bert), for bench/bert.ts.

Needs Debian's python3-torch (torch 1.13, CPU): `sudo apt-get install -y python3-torch`; run with
/usr/bin/python3 (the interpreter Debian's package installs into).

Usage: /usr/bin/python3 bench/bert_reference.py JOB.json

JOB.json (written by the TypeScript side):
  init      a checkpoint folder of lib/models/bert (config.json + weights.bin): the initial weights
  batches   path of the minibatches, little-endian int32, step after step:
            batch, length, predicted, ids[batch·length], positions[predicted], targets[predicted]
            (the corrupted rows, the flat masked positions b·length + t and their original ids: exactly
            what the course's BERT.trainStep drew)
  steps     optimisation steps (the file holds at least that many minibatches)
  config    {"lr", "beta1", "beta2", "eps", "weightDecay", "clipNorm", "padId"}
  runs      [{"threads": int}, ...]  -- one training per entry, each from the initial weights
Prints one JSON line per run: {"threads", "steps", "seconds", "medianStepSeconds", "losses" (every
step's loss before its update), "parameters", "torchVersion"}.

The model, written as the TypeScript side builds it (Hugging Face's BertForMaskedLM layout, post-LN):
    x = LN(wte[ids] + wpe[0:T] + wtt[0])
    for each layer: x = LN1(x + attn(x)); x = LN2(x + W2 · gelu_tanh(W1 · x + b1) + b2)
    attn: softmax(q·kᵀ/√d_head − 1e9·[key is padding]) · v, then W_O
    MLM head at the masked positions only: logits = LN(gelu_tanh(W_t · x + b_t)) · wteᵀ + b
    loss = mean cross-entropy of the original ids
AdamW with decoupled weight decay on matrices and embeddings only, gradients clipped at global norm
clipNorm, constant learning rate.
"""
import json
import math
import time

import numpy as np

from reference_support import read_checkpoint, read_job
import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, d, heads, hidden, eps):
        super().__init__()
        self.heads = heads
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.ln1 = nn.LayerNorm(d, eps=eps)
        self.fc1 = nn.Linear(d, hidden)
        self.fc2 = nn.Linear(hidden, d)
        self.ln2 = nn.LayerNorm(d, eps=eps)

    def forward(self, x, key_mask):
        B, T, C = x.shape
        h = self.heads
        split = lambda y: y.view(B, T, h, C // h).transpose(1, 2)
        q, k, v = split(self.q(x)), split(self.k(x)), split(self.v(x))
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(C // h) + key_mask
        y = (F.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, T, C)
        x = self.ln1(x + self.o(y))
        return self.ln2(x + self.fc2(F.gelu(self.fc1(x), approximate="tanh")))


class Bert(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        V, P, S, d = cfg["vocabSize"], cfg["maxPositions"], cfg["typeVocabSize"], cfg["width"]
        eps = cfg["layerNormEpsilon"]
        self.wte = nn.Embedding(V, d)
        self.wpe = nn.Embedding(P, d)
        self.wtt = nn.Embedding(S, d)
        self.ln = nn.LayerNorm(d, eps=eps)
        self.layers = nn.ModuleList([Layer(d, cfg["heads"], cfg["mlpWidth"], eps) for _ in range(cfg["layers"])])
        self.transform = nn.Linear(d, d)
        self.head_ln = nn.LayerNorm(d, eps=eps)
        self.head_bias = nn.Parameter(torch.zeros(V))

    def forward(self, ids, positions, targets, pad_id):
        B, T = ids.shape
        x = self.ln(self.wte(ids) + self.wpe.weight[:T] + self.wtt.weight[0])
        key_mask = (ids == pad_id).float().mul(-1e9).view(B, 1, 1, T)
        for layer in self.layers:
            x = layer(x, key_mask)
        h = x.reshape(B * T, -1)[positions]
        h = self.head_ln(F.gelu(self.transform(h), approximate="tanh"))
        logits = h @ self.wte.weight.t() + self.head_bias
        return F.cross_entropy(logits, targets)


def load_course_checkpoint(folder):
    """A Bert with the weights of a lib/models/bert checkpoint (every [in, out] matrix transposed to torch's [out, in])."""
    manifest, weights = read_checkpoint(folder)
    model = Bert(manifest["config"])
    linear = lambda module, name: (module.weight.copy_(weights[name + ".weight"].t()), module.bias.copy_(weights[name + ".bias"]))
    norm = lambda module, name: (module.weight.copy_(weights[name + ".gamma"]), module.bias.copy_(weights[name + ".beta"]))
    with torch.no_grad():
        model.wte.weight.copy_(weights["embeddings.word.table"])
        model.wpe.weight.copy_(weights["embeddings.position.table"])
        model.wtt.weight.copy_(weights["embeddings.tokenType.table"])
        norm(model.ln, "embeddings.norm")
        for i, layer in enumerate(model.layers):
            a = f"layers.{i}.attention"
            for module, name in ((layer.q, "wq"), (layer.k, "wk"), (layer.v, "wv"), (layer.o, "wo")):
                linear(module, f"{a}.{name}")
            norm(layer.ln1, f"layers.{i}.attentionNorm")
            linear(layer.fc1, f"layers.{i}.mlp.fc")
            linear(layer.fc2, f"layers.{i}.mlp.projection")
            norm(layer.ln2, f"layers.{i}.outputNorm")
        linear(model.transform, "mlm.transform")
        norm(model.head_ln, "mlm.norm")
        model.head_bias.copy_(weights["mlm.bias"])
    return model


def read_batches(path, steps):
    flat = np.fromfile(path, dtype="<i4").astype(np.int64)
    batches, at = [], 0
    for _ in range(steps):
        b, t, p = int(flat[at]), int(flat[at + 1]), int(flat[at + 2])
        at += 3
        ids = torch.from_numpy(flat[at:at + b * t].reshape(b, t).copy()); at += b * t
        positions = torch.from_numpy(flat[at:at + p].copy()); at += p
        targets = torch.from_numpy(flat[at:at + p].copy()); at += p
        batches.append((ids, positions, targets))
    return batches


def train(job, batches, threads):
    torch.set_num_threads(threads)
    cfg = job["config"]
    model = load_course_checkpoint(job["init"])
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"],
    )
    losses, times = [], []
    start = time.perf_counter()
    for ids, positions, targets in batches:
        t0 = time.perf_counter()
        loss = model(ids, positions, targets, cfg["padId"])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg["clipNorm"])
        opt.step()
        losses.append(loss.item())
        times.append(time.perf_counter() - t0)
    return {
        "threads": threads,
        "steps": len(batches),
        "seconds": time.perf_counter() - start,
        # The median step: the machine is shared, and a median ignores the steps another process slowed.
        "medianStepSeconds": float(np.median(times[1:] if len(times) > 1 else times)),
        "losses": losses,
        "parameters": sum(p.numel() for p in model.parameters()),
        "torchVersion": torch.__version__,
    }


def main():
    job = read_job()
    batches = read_batches(job["batches"], job["steps"])
    for run in job["runs"]:
        print(json.dumps(train(job, batches, run["threads"])), flush=True)


if __name__ == "__main__":
    main()
