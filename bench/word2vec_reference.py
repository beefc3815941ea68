#!/usr/bin/env python3
"""gensim's side of the word2vec comparison (bench/word2vec.ts and the test fixture).

Usage: python3 bench/word2vec_reference.py JOB.json

JOB.json (written by the TypeScript side):
  corpus   path of the tokenised text: one sentence per line, words separated by single spaces
  params   {"sg": 0|1, "vector_size", "window", "negative", "min_count", "epochs", "alpha", "min_alpha",
            "sample", "ns_exponent"}  -- passed to gensim.models.Word2Vec as is (hs=0, cbow_mean=1)
  runs     [{"seed": int, "workers": int}, ...]  -- one training per entry
  pairs    [[word, word], ...]  -- cosine similarities reported for these pairs
  output   path where this script writes its JSON answer:
           {"gensim": version, "runs": [{"seed", "workers", "seconds", "cpu_seconds", "vocab_size", "similarities": [...]}]}
           (cpu_seconds: the process's CPU time during the training, all of gensim's threads together)

Only runs with workers=1 are reproducible: with more threads the order of updates depends on scheduling.
"""
import json
import sys
import time

import gensim
from gensim.models import Word2Vec


def main(job_path):
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    with open(job["corpus"], encoding="utf-8") as f:
        sentences = [line.split(" ") for line in f.read().split("\n") if line]
    params = job["params"]
    pairs = job["pairs"]
    runs = []
    for run in job["runs"]:
        start = time.perf_counter()
        cpu_start = time.process_time()
        model = Word2Vec(sentences=sentences, hs=0, cbow_mean=1, seed=run["seed"], workers=run["workers"], **params)
        seconds = time.perf_counter() - start
        cpu_seconds = time.process_time() - cpu_start
        missing = sorted({w for pair in pairs for w in pair if w not in model.wv.key_to_index})
        if missing:
            raise SystemExit(f"word2vec_reference: words missing from gensim's vocabulary: {missing[:10]}")
        runs.append({
            "seed": run["seed"],
            "workers": run["workers"],
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "vocab_size": len(model.wv),
            "similarities": [float(model.wv.similarity(a, b)) for a, b in pairs],
        })
        print(f"gensim {gensim.__version__} sg={params.get('sg')} seed={run['seed']} workers={run['workers']}: {seconds:.2f} s",
              file=sys.stderr)
    with open(job["output"], "w", encoding="utf-8") as f:
        json.dump({"gensim": gensim.__version__, "runs": runs}, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
