#!/usr/bin/env python3
"""PyTorch reference of the course's mini-GPT (lib/models/gpt), for bench/gpt.ts.

Usage: python3 bench/gpt_reference.py JOB.json

JOB.json (written by the TypeScript side):
  ids       path of the token stream: little-endian int32, the whole text's ids
  trainEnd  ids[0:trainEnd] is the training split, ids[trainEnd:] the validation split
  config    {"vocabSize", "blockSize", "layers", "heads", "width", "batchSize", "lr", "beta1", "beta2",
             "eps", "weightDecay", "initStd"}
  steps     optimisation steps per run
  runs      [{"threads": int, "seed": int, "shared": bool}, ...]  -- one training per entry
  init      (optional) a checkpoint folder of lib/models/gpt (config.json + weights.bin): runs with
            "shared": true start from those weights instead of a fresh initialisation
  offsets   (optional) path of little-endian int32 window offsets, steps × batchSize: the minibatches of
            runs with "shared": true, instead of drawing them
  evaluate  (optional, default true) false skips the validation loss (timing-only runs; valLoss is null)
  profileSteps  (optional, default 0) after training, that many more steps under torch.profiler: the run
            then reports "matrixProductMsPerStep", the self CPU time of the matrix-product operators
            (aten::mm, addmm, bmm, baddbmm) per step, and "profiledStepMs" (the profiler slows the step)
Prints one JSON line per run: {"threads", "steps", "seconds", "tokensPerSecond" (from the median step
time), "meanTokensPerSecond", "valLoss", "lastLosses", "torchVersion"}.

The model, written as the TypeScript side builds it (GPT-2 layout, nanoGPT's code):
    x = wte[idx] + wpe[0:T]
    for each block: x = x + attn(ln1(x)); x = x + mlp(ln2(x))     # pre-LN, causal attention
    logits = ln_f(x) @ wte.T                                       # output head tied to wte
    mlp(x) = W2 · gelu_tanh(W1 · x + b1) + b2;   attn: fused q,k,v projection, softmax(q·kᵀ/√d_head + mask)
Init N(0, initStd²) for matrices and embeddings (residual projections /√(2·layers)), zero biases, LN (1, 0).
AdamW (decoupled weight decay on matrices and embeddings only, not on biases and LN), constant lr.
Minibatches: `batchSize` windows of blockSize+1 tokens at uniform random offsets of the training split
(torch's own generator: same distribution as the TypeScript side, not the same draws), unless `offsets`
gives the TypeScript side's own; with `init` too, both sides compute the same run up to rounding.
Validation loss: mean cross-entropy over the non-overlapping windows ids[s : s+blockSize+1],
s = trainEnd, trainEnd+blockSize, … — every validation token predicted once, as `GPT.evaluate` does.
"""
import json
import math
import time

import numpy as np
from reference_support import read_checkpoint, read_job
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(d)
        self.qkv = nn.Linear(d, 3 * d)
        self.proj = nn.Linear(d, d)
        self.ln2 = nn.LayerNorm(d)
        self.fc = nn.Linear(d, 4 * d)
        self.fc_proj = nn.Linear(4 * d, d)

    def forward(self, x, mask):
        B, T, C = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q = q.view(B, T, h, C // h).transpose(1, 2)
        k = k.view(B, T, h, C // h).transpose(1, 2)
        v = v.view(B, T, h, C // h).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // h))
        att = att.masked_fill(mask[:, :, :T, :T] == 0, float("-inf"))
        y = F.softmax(att, dim=-1) @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        x = x + self.proj(y)
        x = x + self.fc_proj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))
        return x


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        V, T, d, L = cfg["vocabSize"], cfg["blockSize"], cfg["width"], cfg["layers"]
        self.wte = nn.Embedding(V, d)
        self.wpe = nn.Embedding(T, d)
        self.blocks = nn.ModuleList([Block(d, cfg["heads"]) for _ in range(L)])
        self.ln_f = nn.LayerNorm(d)
        self.register_buffer("mask", torch.tril(torch.ones(T, T)).view(1, 1, T, T))
        std = cfg["initStd"]
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln" in name:
                nn.init.ones_(p)
            elif name.endswith("proj.weight"):
                nn.init.normal_(p, 0.0, std / math.sqrt(2 * L))
            else:
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx, targets):
        B, T = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(T))
        for block in self.blocks:
            x = block(x, self.mask)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))


def load_course_checkpoint(model, folder):
    """Copies the weights of a lib/models/gpt checkpoint into `model` (W_Q|W_K|W_V side by side in qkv,
    every [in, out] matrix transposed to torch's [out, in])."""
    _, weights = read_checkpoint(folder)
    if "positionEmbedding.table" not in weights or "head.weight" in weights:
        raise SystemExit("gpt_reference: only learned positions and a tied head are mirrored here")
    with torch.no_grad():
        model.wte.weight.copy_(weights["tokenEmbedding.table"])
        model.wpe.weight.copy_(weights["positionEmbedding.table"])
        for i, b in enumerate(model.blocks):
            w = lambda name: weights[f"blocks.{i}.{name}"]
            b.ln1.weight.copy_(w("norm1.gamma")); b.ln1.bias.copy_(w("norm1.beta"))
            b.qkv.weight.copy_(torch.cat([w("attention.wq.weight"), w("attention.wk.weight"), w("attention.wv.weight")], 1).t())
            b.qkv.bias.copy_(torch.cat([w("attention.wq.bias"), w("attention.wk.bias"), w("attention.wv.bias")]))
            b.proj.weight.copy_(w("attention.wo.weight").t()); b.proj.bias.copy_(w("attention.wo.bias"))
            b.ln2.weight.copy_(w("norm2.gamma")); b.ln2.bias.copy_(w("norm2.beta"))
            b.fc.weight.copy_(w("mlp.fc.weight").t()); b.fc.bias.copy_(w("mlp.fc.bias"))
            b.fc_proj.weight.copy_(w("mlp.projection.weight").t()); b.fc_proj.bias.copy_(w("mlp.projection.bias"))
        model.ln_f.weight.copy_(weights["finalNorm.gamma"]); model.ln_f.bias.copy_(weights["finalNorm.beta"])


def windows(ids, starts, T):
    offsets = torch.arange(T + 1)
    rows = ids[starts.unsqueeze(1) + offsets]
    return rows[:, :-1], rows[:, 1:]


def validation_loss(model, ids, train_end, T, batch):
    starts = torch.arange(train_end, ids.numel() - T, T)
    total, count = 0.0, 0
    with torch.no_grad():
        for i in range(0, starts.numel(), batch):
            x, y = windows(ids, starts[i:i + batch], T)
            total += model(x, y).item() * y.numel()
            count += y.numel()
    return total / count


MATRIX_PRODUCT_OPS = {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm"}


def train(cfg, ids, train_end, steps, threads, seed, init=None, offsets=None, evaluate=True, profile_steps=0):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    g = torch.Generator().manual_seed(seed)
    model = GPT(cfg)
    if init is not None:
        load_course_checkpoint(model, init)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg["weightDecay"]}, {"params": no_decay, "weight_decay": 0.0}],
        lr=cfg["lr"], betas=(cfg["beta1"], cfg["beta2"]), eps=cfg["eps"],
    )
    T, B = cfg["blockSize"], cfg["batchSize"]
    n_windows = train_end - T
    losses, times = [], []
    start = time.perf_counter()

    def step_on(starts):
        x, y = windows(ids, starts, T)
        loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()

    for step in range(steps):
        t0 = time.perf_counter()
        losses.append(step_on(offsets[step] if offsets is not None else torch.randint(0, n_windows, (B,), generator=g)))
        times.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    profiled = {}
    if profile_steps > 0:
        with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
            t0 = time.perf_counter()
            for step in range(profile_steps):
                step_on(offsets[step % steps] if offsets is not None else torch.randint(0, n_windows, (B,), generator=g))
            profiled_seconds = time.perf_counter() - t0
        matrix_us = sum(e.self_cpu_time_total for e in prof.key_averages() if e.key in MATRIX_PRODUCT_OPS)
        profiled = {"matrixProductMsPerStep": matrix_us / 1000 / profile_steps, "profiledStepMs": profiled_seconds * 1000 / profile_steps}
    return {
        **profiled,
        "threads": threads,
        "seed": seed,
        "steps": steps,
        "seconds": seconds,
        # The median step: the machine is shared, and a median ignores the steps another process slowed.
        "tokensPerSecond": B * T / float(np.median(times)),
        "meanTokensPerSecond": steps * B * T / seconds,
        "valLoss": validation_loss(model, ids, train_end, T, B) if evaluate else None,
        "firstLoss": losses[0],
        "lastLosses": losses[-10:],
        "parameters": sum(p.numel() for p in model.parameters()),
        "torchVersion": torch.__version__,
    }


def main():
    job = read_job()
    ids = torch.from_numpy(np.fromfile(job["ids"], dtype="<i4").astype(np.int64))
    offsets = None
    if job.get("offsets"):
        flat = np.fromfile(job["offsets"], dtype="<i4").astype(np.int64)
        offsets = torch.from_numpy(flat).view(job["steps"], job["config"]["batchSize"])
    for run in job["runs"]:
        shared = run.get("shared", False)
        result = train(job["config"], ids, job["trainEnd"], job["steps"], run["threads"], run["seed"],
                       job.get("init") if shared else None, offsets if shared else None, job.get("evaluate", True),
                       job.get("profileSteps", 0))
        result["shared"] = shared
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
