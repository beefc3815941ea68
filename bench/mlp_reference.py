#!/usr/bin/env python3
"""PyTorch reference of the makemore MLP (Bengio et al. 2003, makemore part 2), for bench/mlp.ts.

Reads the split and the configuration that the TypeScript side wrote (JSON), trains the same model with
the same hyper-parameters from PyTorch's own random numbers (same distributions, not the same numbers),
and prints one JSON line per thread count: training steps/s and the final train/dev losses.

    /usr/bin/python3 bench/mlp_reference.py /tmp/mlp-split.json

Needs Debian's python3-torch (torch 1.13, CPU). The model, written as in makemore's notebook:
    emb = C[X]                                    # (batch, B, E)
    h = tanh(emb.view(-1, B*E) @ W1 + b1)         # (batch, H)
    logits = h @ W2 + b2                          # (batch, V)
    loss = F.cross_entropy(logits, Y)
with SGD p -= lr * grad, lr = lrs[i] for the steps of segment i. Optional L2 weight decay adds wd * p to
the gradients of C, W1 and W2; optional dropout zeroes hidden units with probability p during training.
"""
import json
import time

from reference_support import read_job
import torch
import torch.nn.functional as F


def make_params(cfg, g):
    V, B, E, H = cfg["vocabSize"], cfg["contextSize"], cfg["embeddingSize"], cfg["hiddenSize"]
    s = cfg["init"]
    params = [
        torch.randn((V, E), generator=g) * s["embedding"],
        torch.randn((B * E, H), generator=g) * s["hiddenWeight"],
        torch.randn((H,), generator=g) * s["hiddenBias"],
        torch.randn((H, V), generator=g) * s["outputWeight"],
        torch.randn((V,), generator=g) * s["outputBias"],
    ]
    for p in params:
        p.requires_grad = True
    return params


def nll(params, X, Y, cfg):
    C, W1, b1, W2, b2 = params
    emb = C[X]
    h = torch.tanh(emb.view(-1, cfg["contextSize"] * cfg["embeddingSize"]) @ W1 + b1)
    return F.cross_entropy(h @ W2 + b2, Y)


def train(cfg, data, threads):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(cfg["seed"])
    params = make_params(cfg, g)
    C, W1, b1, W2, b2 = params
    Xtr, Ytr = data["train"]
    n = Xtr.shape[0]
    batch, wd, dropout = cfg["batchSize"], cfg.get("weightDecay", 0.0), cfg.get("dropout", 0.0)
    B, E = cfg["contextSize"], cfg["embeddingSize"]
    schedule = []
    for segment in cfg["schedule"]:
        schedule += [segment["lr"]] * segment["steps"]
    losses = []
    start = time.perf_counter()
    for lr in schedule:
        ix = torch.randint(0, n, (batch,), generator=g)
        emb = C[Xtr[ix]]
        h = torch.tanh(emb.view(-1, B * E) @ W1 + b1)
        if dropout > 0:
            h = F.dropout(h, dropout, training=True)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Ytr[ix])
        for p in params:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in params:
                grad = p.grad
                if wd > 0 and p.dim() == 2:
                    grad = grad + wd * p
                p -= lr * grad
        losses.append(loss.item())
    seconds = time.perf_counter() - start
    with torch.no_grad():
        result = {
            "threads": threads,
            "steps": len(schedule),
            "seconds": seconds,
            "stepsPerSecond": len(schedule) / seconds,
            "trainLoss": nll(params, *data["train"], cfg).item(),
            "devLoss": nll(params, *data["dev"], cfg).item(),
            "lastMinibatchLoss": losses[-1],
        }
    return result


def tensors(split, width):
    X = torch.tensor(split["contexts"], dtype=torch.long).view(-1, width)
    Y = torch.tensor(split["targets"], dtype=torch.long)
    return X, Y


def main():
    spec = read_job()
    cfg = spec["config"]
    data = {name: tensors(spec[name], cfg["contextSize"]) for name in ("train", "dev")}
    for threads in spec.get("threads", [1]):
        result = train(cfg, data, threads)
        result["torchVersion"] = torch.__version__
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
