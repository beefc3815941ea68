/**
 * The tiny GPT of TP7's exercises (lib/models/gpt/tiny.ts): hand-worked cases, and the tfjs reference
 * against the same maths written with plain loops over arrays (the checks of tp07.gpt_forward,
 * tp07.gpt_loss and tp07.gpt_train_step compare the student's code with this reference).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { disposeTinyGpt, tinyGptForward, tinyGptLoss, tinyGptNamedVariables, tinyGptParameterCount, tinyGptTrainStep, tinyGptWeights, type TinyGptWeights } from "../../lib/models/gpt/tiny";
import { Random } from "../../lib/random";

type Matrix = number[][];

/** The model's weights as nested arrays, read back from the variables. */
function arrays(weights: TinyGptWeights): Record<string, Matrix | number[]> {
  return Object.fromEntries(tinyGptNamedVariables(weights).map(([name, variable]) => [name, variable.arraySync() as Matrix | number[]]));
}

const times = (x: Matrix, w: Matrix): Matrix => x.map((row) => w[0]!.map((_, j) => row.reduce((sum, v, i) => sum + v * w[i]![j]!, 0)));
const plus = (x: Matrix, b: number[]): Matrix => x.map((row) => row.map((v, j) => v + b[j]!));
const add = (x: Matrix, y: Matrix): Matrix => x.map((row, i) => row.map((v, j) => v + y[i]![j]!));
function norm(x: Matrix, gamma: number[], beta: number[]): Matrix {
  return x.map((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    return row.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-5)) * gamma[j]! + beta[j]!);
  });
}

/** One sequence's logits [T][V], position by position and head by head with loops. */
function loopForward(weights: TinyGptWeights, ids: number[]): Matrix {
  const a = arrays(weights);
  const { width: d, heads, layers } = weights.shape;
  const dh = d / heads;
  const T = ids.length;
  let x: Matrix = ids.map((id, t) => (a["tokenEmbedding"] as Matrix)[id]!.map((v, j) => v + (a["positionEmbedding"] as Matrix)[t]![j]!));
  for (let l = 0; l < layers; l++) {
    const p = (name: string) => a[`blocks.${l}.${name}`]!;
    const h = norm(x, p("ln1Gamma") as number[], p("ln1Beta") as number[]);
    const [q, k, v] = [times(h, p("wq") as Matrix), times(h, p("wk") as Matrix), times(h, p("wv") as Matrix)];
    const mixed: Matrix = Array.from({ length: T }, () => new Array<number>(d).fill(0));
    for (let head = 0; head < heads; head++) {
      const cols = Array.from({ length: dh }, (_, c) => head * dh + c);
      for (let i = 0; i < T; i++) {
        const scores = Array.from({ length: i + 1 }, (_, j) => cols.reduce((s, c) => s + q[i]![c]! * k[j]![c]!, 0) / Math.sqrt(dh));
        const top = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - top));
        const total = e.reduce((s, z) => s + z, 0);
        for (const c of cols) mixed[i]![c] = e.reduce((s, z, j) => s + (z / total) * v[j]![c]!, 0);
      }
    }
    x = add(x, plus(times(mixed, p("wo") as Matrix), p("bo") as number[]));
    const hidden = plus(times(norm(x, p("ln2Gamma") as number[], p("ln2Beta") as number[]), p("w1") as Matrix), p("b1") as number[]).map((row) => row.map((z) => Math.max(0, z)));
    x = add(x, plus(times(hidden, p("w2") as Matrix), p("b2") as number[]));
  }
  return plus(times(norm(x, a["lnfGamma"] as number[], a["lnfBeta"] as number[]), a["head"] as Matrix), a["headBias"] as number[]);
}

/** Weights ~ N(0, 0.3²) with random LayerNorms and biases, so that every term of the forward pass counts. */
function randomWeights(seed: number): TinyGptWeights {
  const weights = tinyGptWeights({ vocabSize: 7, blockSize: 6, width: 8, heads: 2, layers: 2, mlpWidth: 12 }, new Random(seed), { std: 0.3 });
  const rng = new Random(seed + 1);
  for (const [name, variable] of tinyGptNamedVariables(weights)) {
    if (!/Gamma|Beta|\.b[o12]$|headBias/.test(name)) continue;
    const center = name.endsWith("Gamma") ? 1 : 0;
    tf.tidy(() => variable.assign(tf.tensor(Float32Array.from({ length: variable.size }, () => center + 0.2 * rng.normal()), variable.shape)));
  }
  return weights;
}

test("tinyGptWeights: shapes, GPT-2 initialisation, the parameter count by formula", async () => {
  await initBackend();
  const weights = tinyGptWeights({ vocabSize: 10, blockSize: 4, width: 8, heads: 2, layers: 3 }, new Random(1));
  try {
    const [V, T, d, h, N] = [10, 4, 8, 32, 3];
    assert.equal(tinyGptParameterCount(weights), V * d + T * d + N * (4 * d * d + 2 * d * h + h + 6 * d) + 2 * d + d * V + V);
    assert.deepEqual(weights.blocks[0]!.w1.shape, [d, h]);
    assert.deepEqual(Array.from(weights.blocks[2]!.ln2Gamma.dataSync()), new Array(d).fill(1));
    const wo = Array.from(weights.blocks[0]!.wo.dataSync());
    const std = Math.sqrt(wo.reduce((s, v) => s + v * v, 0) / wo.length);
    assert.ok(std > 0.003 && std < 0.013, `W_O's std ${std}, expected about 0.02/√6 ≈ 0.008`);
    assert.throws(() => tinyGptWeights({ vocabSize: 5, blockSize: 4, width: 6, heads: 4, layers: 1 }, new Random(1)), /heads \(4\) must divide width \(6\)/);
  } finally {
    disposeTinyGpt(weights);
  }
});

test("tinyGptForward: the hand-worked case of tp07.gpt_forward (embeddings, positions, final LayerNorm, head)", () => {
  const weights = tinyGptWeights({ vocabSize: 2, blockSize: 2, width: 2, heads: 1, layers: 1, mlpWidth: 2 }, new Random(0), { std: 0 });
  try {
    weights.tokenEmbedding.assign(tf.tensor2d([[1, 0], [0, 1]]));
    weights.positionEmbedding.assign(tf.tensor2d([[0, 0], [2, 0]]));
    weights.head.assign(tf.tensor2d([[1, 0], [0, 1]]));
    weights.headBias.assign(tf.tensor1d([0.5, 0]));
    const logits = tinyGptForward(weights, [[0, 1], [1, 1]]);
    // LN of [a, b] with a ≠ b is ±(1, −1): [1, 0] → (1, −1), [0, 1] → (−1, 1), [0, 1] + [2, 0] → (1, −1).
    const expected = [1.5, -1, 1.5, -1, -0.5, 1, 1.5, -1];
    Array.from(logits.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-4, `logit ${i}: ${v} vs ${expected[i]}`));
    logits.dispose();
  } finally {
    disposeTinyGpt(weights);
  }
});

test("tinyGptForward equals the same maths written with loops, sequence by sequence (T shorter than the context)", () => {
  const weights = randomWeights(3);
  try {
    const ids = [[1, 4, 0, 6, 2], [3, 3, 5, 1, 0]];
    const logits = tinyGptForward(weights, ids).arraySync() as Matrix[];
    ids.forEach((row, b) => {
      const expected = loopForward(weights, row);
      expected.forEach((line, t) => line.forEach((v, j) => assert.ok(Math.abs(logits[b]![t]![j]! - v) < 1e-4, `[${b}, ${t}, ${j}]: ${logits[b]![t]![j]} vs ${v}`)));
    });
    assert.throws(() => tinyGptForward(weights, [[1, 2, 3, 4, 5, 6, 0]]), /exceed the context of 6/);
  } finally {
    disposeTinyGpt(weights);
  }
});

test("tinyGptLoss: ln V with zero weights; the mean next-token cross-entropy of the loop forward pass", () => {
  const zero = tinyGptWeights({ vocabSize: 5, blockSize: 4, width: 4, heads: 2, layers: 1 }, new Random(0), { std: 0 });
  const weights = randomWeights(5);
  try {
    assert.ok(Math.abs(tf.tidy(() => tinyGptLoss(zero, [[0, 1, 2, 3, 4]]).dataSync()[0]!) - Math.log(5)) < 1e-6);
    const windows = [[0, 1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1, 0]];
    let total = 0;
    for (const window of windows) {
      loopForward(weights, window.slice(0, -1)).forEach((row, t) => {
        const top = Math.max(...row);
        total += top + Math.log(row.reduce((s, z) => s + Math.exp(z - top), 0)) - row[window[t + 1]!]!;
      });
    }
    const loss = tf.tidy(() => tinyGptLoss(weights, windows).dataSync()[0]!);
    assert.ok(Math.abs(loss - total / 12) < 1e-5, `${loss} vs ${total / 12}`);
  } finally {
    disposeTinyGpt(zero);
    disposeTinyGpt(weights);
  }
});

test("tinyGptTrainStep: SGD on zero weights moves b_head to freq − 1/V; Adam steps lower the loss and leak nothing", () => {
  const zero = tinyGptWeights({ vocabSize: 4, blockSize: 2, width: 2, heads: 1, layers: 1 }, new Random(0), { std: 0 });
  const weights = randomWeights(7);
  const sgd = tf.train.sgd(1);
  const adam = tf.train.adam(0.02);
  try {
    assert.ok(Math.abs(tinyGptTrainStep(zero, [[0, 1, 1], [2, 1, 3]], sgd) - Math.log(4)) < 1e-6);
    Array.from(zero.headBias.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - [-0.25, 0.5, -0.25, 0][i]!) < 1e-6, `b_head[${i}] = ${v}`));
    const window = [[0, 1, 2, 3, 4, 5, 6]];
    tinyGptTrainStep(weights, window, adam); // Adam creates its moment variables at the first step.
    const before = tf.memory().numTensors;
    const losses = Array.from({ length: 20 }, () => tinyGptTrainStep(weights, window, adam));
    assert.equal(tf.memory().numTensors, before);
    assert.ok(losses[19]! < 0.5 * losses[0]!, `losses ${losses[0]} → ${losses[19]}`);
  } finally {
    sgd.dispose();
    adam.dispose();
    disposeTinyGpt(zero);
    disposeTinyGpt(weights);
  }
});
