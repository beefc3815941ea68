#!/usr/bin/env python3
"""PyTorch reference of the course's encoder–decoder Transformer (lib/models/transformer), for bench/transformer.ts.

Needs Debian's python3-torch (torch 1.13, CPU): `sudo apt-get install -y python3-torch`; run with /usr/bin/python3.
Usage: python3 bench/transformer_reference.py JOB.json

JOB.json (written by the TypeScript side):
  config    {"dModel", "heads", "norm" ("pre"|"post"), "padId", "labelSmoothing", "lr", "beta1", "beta2", "eps",
             "weightDecay", "clipNorm"}
  init      a checkpoint folder of lib/models/transformer (config.json + weights.bin): every run starts from it
  batches   path of little-endian int32: the minibatches one after the other, each source [b, S], then
            decoder input [b, T], then labels [b, T] (right-padded with padId)
  shapes    [[b, S, T], ...] one per minibatch, in order
  dev       (optional) {"ids": path, "shapes": [[b, S, T], ...]}: the validation pairs in the same layout
  steps     optimisation steps per run (the first `steps` minibatches)
  runs      [{"threads": int}, ...]  -- one training per entry
Prints one JSON line per run: {"threads", "steps", "seconds", "medianStepSeconds", "losses" (every step's
training loss), "valLoss" (null without dev), "parameters", "torchVersion"}.

The model, with the course's parameters under the course's names ([in, out] matrices, x·W + b):
    encoder: x = √d·E_src[source] + PE;  N × [self-attention (padding masked), ReLU feed-forward]
    decoder: y = √d·E_tgt[<s> target] + PE;  N × [causal self-attention, cross-attention, feed-forward]
    each sub-layer in a residual + LayerNorm, "pre" x + f(LN(x)) (with final LNs) or "post" LN(x + f(x))
    logits = y·W_out + b_out;  loss = Σ over non-pad labels of (1 − ε)·(−log p[label]) + ε·mean(−log p), / count
Masks add −1e9 to the scores of hidden keys, as lib/models/attention does. AdamW (decoupled weight decay on
matrices and embeddings, not on biases and LayerNorms), gradients rescaled to a global L2 norm ≤ clipNorm
(min(1, clip / norm), the course's formula), constant learning rate.
"""
import json
import math
import sys
import time

import numpy as np
from reference_support import read_checkpoint, read_job
import torch
import torch.nn.functional as F


def sinusoids(length, d):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(...), as lib/models/attention computes it."""
    pe = np.zeros((length, d), dtype=np.float64)
    for pos in range(length):
        for j in range(d):
            angle = pos / math.pow(10000, (j - j % 2) / d)
            pe[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return torch.from_numpy(pe.astype(np.float32))


class Translator:
    def __init__(self, model_config, weights, cfg):
        self.c = model_config
        self.smoothing = cfg.get("labelSmoothing", 0.0)
        self.p = {name: torch.nn.Parameter(w) for name, w in weights.items()}
        self.pe = sinusoids(model_config["maxLength"], model_config["dModel"])

    def linear(self, x, name):
        return x @ self.p[name + ".weight"] + self.p[name + ".bias"]

    def norm(self, x, name):
        return F.layer_norm(x, (x.shape[-1],), self.p[name + ".gamma"], self.p[name + ".beta"], 1e-5)

    def attention(self, x, source, name, bias):
        B, Tq, d = x.shape
        Tk = source.shape[1]
        H = self.c["heads"]
        hd = d // H
        q = self.linear(x, name + ".wq").view(B, Tq, H, hd).transpose(1, 2)
        k = self.linear(source, name + ".wk").view(B, Tk, H, hd).transpose(1, 2)
        v = self.linear(source, name + ".wv").view(B, Tk, H, hd).transpose(1, 2)
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd) + bias
        out = (F.softmax(scores, dim=-1) @ v).transpose(1, 2).reshape(B, Tq, d)
        return self.linear(out, name + ".wo")

    def feed_forward(self, x, name):
        return self.linear(F.relu(self.linear(x, name + ".inner")), name + ".outer")

    def residual(self, x, norm_name, sublayer):
        if self.c["norm"] == "pre":
            return x + sublayer(self.norm(x, norm_name))
        return self.norm(x + sublayer(x), norm_name)

    def embed(self, table, ids):
        return self.p[table + ".table"][ids] * math.sqrt(self.c["dModel"]) + self.pe[: ids.shape[1]]

    def loss(self, source, decoder_input, labels):
        pad = self.c["padId"]
        B, S = source.shape
        T = decoder_input.shape[1]
        source_bias = ((source == pad).float() * -1e9).view(B, 1, 1, S)
        causal_bias = torch.triu(torch.full((T, T), -1e9), diagonal=1)
        x = self.embed("sourceEmbedding", source)
        for i in range(self.c["encoderLayers"]):
            n = f"encoder.{i}"
            x = self.residual(x, n + ".norm1", lambda h: self.attention(h, h, n + ".selfAttention", source_bias))
            x = self.residual(x, n + ".norm2", lambda h: self.feed_forward(h, n + ".feedForward"))
        memory = self.norm(x, "encoderNorm") if self.c["norm"] == "pre" else x
        y = self.embed("targetEmbedding", decoder_input)
        for i in range(self.c["decoderLayers"]):
            n = f"decoder.{i}"
            y = self.residual(y, n + ".norm1", lambda h: self.attention(h, h, n + ".selfAttention", causal_bias))
            y = self.residual(y, n + ".norm2", lambda h: self.attention(h, memory, n + ".crossAttention", source_bias))
            y = self.residual(y, n + ".norm3", lambda h: self.feed_forward(h, n + ".feedForward"))
        if self.c["norm"] == "pre":
            y = self.norm(y, "decoderNorm")
        log_p = F.log_softmax(self.linear(y, "output").reshape(B * T, -1), dim=-1)
        flat = labels.reshape(-1)
        nll = -log_p.gather(1, flat.unsqueeze(1)).squeeze(1)
        if self.smoothing > 0:
            nll = (1 - self.smoothing) * nll - self.smoothing * log_p.mean(dim=1)
        keep = (flat != pad).float()
        return (nll * keep).sum(), keep.sum()


def read_batches(path, shapes):
    ids = torch.from_numpy(np.fromfile(path, dtype="<i4").astype(np.int64))
    out, offset = [], 0
    for b, s, t in shapes:
        parts = []
        for n, width in ((b * s, s), (b * t, t), (b * t, t)):
            parts.append(ids[offset:offset + n].view(b, width))
            offset += n
        out.append(tuple(parts))
    return out


def train(job, batches, dev, threads):
    torch.set_num_threads(threads)
    cfg = job["config"]
    manifest, weights = read_checkpoint(job["init"])
    model_config = manifest["config"]
    model = Translator(model_config, weights, cfg)
    params = list(model.p.values())
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"],
    )
    clip = cfg.get("clipNorm")
    losses, times = [], []
    start = time.perf_counter()
    for step in range(job["steps"]):
        t0 = time.perf_counter()
        source, decoder_input, labels = batches[step]
        total, count = model.loss(source, decoder_input, labels)
        loss = total / count
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip is not None:
            norm = torch.sqrt(sum((p.grad * p.grad).sum() for p in params))
            scale = torch.clamp(clip / torch.clamp(norm, min=1e-12), max=1.0)
            for p in params:
                p.grad.mul_(scale)
        opt.step()
        losses.append(loss.item())
        times.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    val = None
    if dev is not None:
        total, count = 0.0, 0.0
        smoothing, model.smoothing = model.smoothing, 0.0
        with torch.no_grad():
            for source, decoder_input, labels in dev:
                s, c = model.loss(source, decoder_input, labels)
                total += s.item()
                count += c.item()
        model.smoothing = smoothing
        val = total / count
    return {
        "threads": threads,
        "steps": job["steps"],
        "seconds": seconds,
        # The median step: the machine is shared, and a median ignores the steps another process slowed.
        "medianStepSeconds": float(np.median(times)),
        "losses": losses,
        "valLoss": val,
        "parameters": sum(p.numel() for p in params),
        "torchVersion": torch.__version__,
    }


def main():
    job = read_job()
    batches = read_batches(job["batches"], job["shapes"])
    if len(batches) < job["steps"]:
        sys.exit(f"transformer_reference: {job['steps']} steps but only {len(batches)} minibatches")
    dev = read_batches(job["dev"]["ids"], job["dev"]["shapes"]) if job.get("dev") else None
    for run in job["runs"]:
        print(json.dumps(train(job, batches, dev, run["threads"])), flush=True)


if __name__ == "__main__":
    main()
