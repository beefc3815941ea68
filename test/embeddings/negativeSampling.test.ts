import assert from "node:assert/strict";
import { test } from "node:test";
import {
  buildVocabulary,
  keepProbabilities,
  keepProbability,
  negativeSamplingGradients,
  negativeSamplingLoss,
  negativeSamplingUpdate,
  noiseDistribution,
  sigmoid,
  UnigramTable,
} from "@llm-course/lib/embeddings";
import { Random } from "../../lib/random";

const close = (actual: number, expected: number, tolerance: number, what = "") =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what} expected ${expected}, got ${actual}`);

test("noise distribution U(w)^(3/4) and its unigram table on toy counts", () => {
  // 16^0.75 = 8, 81^0.75 = 27, 1^0.75 = 1: P = 8/36, 27/36, 1/36 (raw frequencies would be 16/98, 81/98, 1/98).
  const p = noiseDistribution([16, 81, 1]);
  [8 / 36, 27 / 36, 1 / 36].forEach((expected, i) => close(p[i]!, expected, 1e-15, `P(${i})`));
  // A 36-cell table holds each word exactly 8, 27 and 1 times; a 3,600-cell one 800, 2,700, 100 times.
  assert.deepEqual(Array.from(new UnigramTable([16, 81, 1], { size: 36 }).table), [...Array(8).fill(0), ...Array(27).fill(1), 2]);
  const table = new UnigramTable([16, 81, 1], { size: 3600 });
  assert.deepEqual([0, 1, 2].map((w) => table.tableProbability(w)), [800 / 3600, 2700 / 3600, 100 / 3600]);
  // Sampling from the table follows P.
  const rng = new Random(5);
  const counts = [0, 0, 0];
  for (let i = 0; i < 100_000; i++) counts[table.sample(rng)]! += 1;
  counts.forEach((c, w) => close(c / 100_000, p[w]!, 0.006, `frequency of ${w}`));
  // Power 1 is the plain unigram distribution; power 0 the uniform one.
  close(noiseDistribution([16, 81, 1], 1)[1]!, 81 / 98, 1e-15);
  close(noiseDistribution([16, 81, 1], 0)[2]!, 1 / 3, 1e-15);
  assert.throws(() => noiseDistribution([1, -2]), /count 1 is -2/);
});

test("subsampling keep-probabilities (√(f/t) + 1)·t/f, computed by hand", () => {
  // 1,000,000 words, sample 1e-3 → t = 1,000.
  const total = 1_000_000;
  assert.equal(keepProbability(1000, total), 1, "f = t: (1 + 1)·1 = 2, capped at 1");
  assert.equal(keepProbability(500, total), 1);
  close(keepProbability(4000, total), 0.75, 1e-15, "(2 + 1)/4");
  close(keepProbability(9000, total), 4 / 9, 1e-15, "(3 + 1)/9");
  close(keepProbability(100_000, total), 0.11, 1e-15, "(10 + 1)/100");
  close(keepProbability(250_000, total), (Math.sqrt(250) + 1) / 250, 1e-15);
  assert.equal(keepProbability(250_000, total, 0), 1, "sample 0 keeps everything");
  // keepProbabilities takes the total from the counts: 3000 + 1000 = 4000 words, t = 0.25 · 4000 = 1000.
  const both = keepProbabilities([3000, 1000], 0.25);
  close(both[0]!, (Math.sqrt(3) + 1) / 3, 1e-15);
  assert.equal(both[1], 1);
  assert.throws(() => keepProbability(0, 10), /count must be a positive number/);
  assert.throws(() => keepProbability(5, 10, 1.5), /sample must be in \[0, 1\)/);
});

test("negative-sampling loss and gradients on a hand example", () => {
  // center (1, 0); context (0.5, 0): score 0.5; negatives (0, 1) and (−1, 0): scores 0 and −1.
  // L = −log σ(0.5) − log σ(−0) − log σ(1) = 0.474077 + 0.693147 + 0.313262.
  const center = [1, 0];
  const context = [0.5, 0];
  const negatives = [[0, 1], [-1, 0]];
  close(negativeSamplingLoss(center, context, negatives), 1.4804858522582747, 1e-15, "L");
  const g = negativeSamplingGradients(center, context, negatives);
  close(g.loss, 1.4804858522582747, 1e-15);
  const gPositive = sigmoid(0.5) - 1; // −0.3775
  close(g.context[0]!, gPositive, 1e-15, "∂L/∂u_o");
  close(g.context[1]!, 0, 0);
  // ∂L/∂v_c = (σ(0.5) − 1)·(0.5, 0) + σ(0)·(0, 1) + σ(−1)·(−1, 0)
  close(g.center[0]!, 0.5 * gPositive - sigmoid(-1), 1e-15, "∂L/∂v_c[0]");
  close(g.center[1]!, 0.5, 1e-15, "∂L/∂v_c[1]");
  assert.deepEqual(g.negatives.map((n) => n.map((x) => x + 0)), [[0.5, 0], [sigmoid(-1), 0]]);
  assert.throws(() => negativeSamplingLoss([1, 2], [1], []), /context has 1 numbers, center has 2/);
  assert.throws(() => negativeSamplingLoss([1, 2], [1, 2], [[1]]), /negative 0 has 1 numbers/);
});

test("negative-sampling gradients agree with central finite differences", () => {
  const rng = new Random(11);
  const vector = () => Array.from({ length: 5 }, () => rng.normal() * 0.7);
  const center = vector();
  const context = vector();
  const negatives = [vector(), vector(), vector()];
  const analytic = negativeSamplingGradients(center, context, negatives);
  const h = 1e-6;
  const numeric = (which: number[], i: number): number => {
    const saved = which[i]!;
    which[i] = saved + h;
    const plus = negativeSamplingLoss(center, context, negatives);
    which[i] = saved - h;
    const minus = negativeSamplingLoss(center, context, negatives);
    which[i] = saved;
    return (plus - minus) / (2 * h);
  };
  for (let i = 0; i < 5; i++) {
    close(analytic.center[i]!, numeric(center, i), 1e-8, `∂L/∂center[${i}]`);
    close(analytic.context[i]!, numeric(context, i), 1e-8, `∂L/∂context[${i}]`);
    negatives.forEach((negative, k) => close(analytic.negatives[k]![i]!, numeric(negative, i), 1e-8, `∂L/∂negative${k}[${i}]`));
  }
});

test("the in-place training step is one SGD step on those gradients", () => {
  const rng = new Random(2);
  const dim = 6;
  const output = Float32Array.from({ length: 5 * dim }, () => rng.normal() * 0.5);
  const hidden = Float32Array.from({ length: dim }, () => rng.normal() * 0.5);
  const row = (r: number) => Array.from(output.subarray(r * dim, (r + 1) * dim));
  const before = [2, 0, 4].map(row);
  const expected = negativeSamplingGradients(Array.from(hidden), before[0]!, [before[1]!, before[2]!]);
  const lr = 0.1;
  const step = new Float32Array(dim);
  const loss = negativeSamplingUpdate(hidden, 0, output, dim, Int32Array.from([2, 0, 4]), 3, lr, step);
  close(loss, expected.loss, 1e-6, "loss");
  for (let j = 0; j < dim; j++) {
    close(step[j]!, -lr * expected.center[j]!, 1e-6, `hidden step[${j}]`);
    close(row(2)[j]!, before[0]![j]! - lr * expected.context[j]!, 1e-6, `context row[${j}]`);
    close(row(0)[j]!, before[1]![j]! - lr * expected.negatives[0]![j]!, 1e-6, `negative row 0[${j}]`);
    close(row(4)[j]!, before[2]![j]! - lr * expected.negatives[1]![j]!, 1e-6, `negative row 4[${j}]`);
  }
  assert.deepEqual(row(1), Array.from(output.subarray(dim, 2 * dim)), "untouched rows stay");
});

test("vocabulary: min_count, most frequent first, ties by first appearance", () => {
  const vocabulary = buildVocabulary([["b", "a", "c", "a"], ["c", "d", "a"]], 2);
  assert.deepEqual(vocabulary.words, ["a", "c"]);
  assert.deepEqual(vocabulary.counts, [3, 2]);
  assert.equal(vocabulary.totalWords, 5);
  assert.equal(vocabulary.rawWords, 7);
  assert.deepEqual(buildVocabulary([["y", "x", "x", "y"]]).words, ["y", "x"]);
  assert.throws(() => buildVocabulary([]), /the corpus is empty/);
  assert.throws(() => buildVocabulary([["a"]], 3), /no word occurs 3 times or more \(the most frequent occurs 1 times\)/);
  assert.throws(() => buildVocabulary(["the cat"] as unknown as string[][]), /sentence 0 is a string, not an array of words/);
});
