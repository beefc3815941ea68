"""
What the benchmarks' PyTorch references (bench/*_reference.py) share: PyTorch itself, imported with the
install instructions when it is missing; the job file the TypeScript bench writes (bench/support/python.ts);
and a course checkpoint (lib/models/checkpoint: config.json + weights.bin) read as tensors by parameter name.
"""
import json
import os
import sys

import numpy as np

try:
    import torch
except ImportError:
    sys.exit(f"{os.path.basename(sys.argv[0])} needs PyTorch: `sudo apt-get install -y python3-torch` (Debian's torch 1.13, CPU), then run it with /usr/bin/python3")


def read_job():
    """The JSON job named by the script's one argument."""
    if len(sys.argv) != 2:
        sys.exit(f"usage: {os.path.basename(sys.argv[0])} JOB.json")
    with open(sys.argv[1]) as f:
        return json.load(f)


def read_checkpoint(folder):
    """A course checkpoint's manifest (config.json) and its weights as float32 tensors, by parameter name, in
    the course's [in, out] layout."""
    with open(folder + "/config.json") as f:
        manifest = json.load(f)
    values = np.fromfile(folder + "/weights.bin", dtype="<f4")
    weights, offset = {}, 0
    for p in manifest["parameters"]:
        n = int(np.prod(p["shape"]))
        weights[p["name"]] = torch.from_numpy(values[offset:offset + n].reshape(p["shape"]).copy())
        offset += n
    return manifest, weights
