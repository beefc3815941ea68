import assert from "node:assert/strict";
import { before, test } from "node:test";
import type * as tfType from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import {
  attentionByHand,
  bigDogSelfAttention,
  causalMask,
  causalMaskArray,
  countParameters,
  FeedForward,
  feedForwardParameterCount,
  LayerNorm,
  lengthMask,
  matMul,
  MultiHeadAttention,
  multiHeadAttentionParameterCount,
  normalValues,
  paddingMask,
  positionalEncodingTable,
  positionalEncodingValue,
  scaledDotProductAttention,
  seedsAttentionWeights,
  sinusoidalPositionalEncoding,
  softmaxRow,
  type KeyValues,
} from "@llm-course/lib/models/attention";
import { Random } from "@llm-course/lib/random";

let tf: typeof tfType;
before(async () => {
  tf = await initBackend({ quiet: true });
});

const near = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

function nearAll(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) near(actual[i]!, expected[i]!, tol, `${what}[${i}]`);
}

function maxAbsDiff(a: tfType.Tensor, b: tfType.Tensor): number {
  assert.deepEqual(a.shape, b.shape);
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

// e² / (e² + 1): softmax([2, 0]) = softmax([14, 12]), the seeds' weight.
const E2 = Math.exp(2) / (Math.exp(2) + 1); // 0.8807970779778823

test("the seeds' example: 112 and 96, / √64 = 8 → 14 and 12, softmax → 0.8808 and 0.1192", () => {
  const r = seedsAttentionWeights();
  assert.deepEqual(r.scores, [112, 96]);
  assert.equal(r.sqrtDK, 8);
  assert.deepEqual(r.scaled, [14, 12]);
  near(r.weights[0]!, 0.8808, 5e-5, "softmax(14)");
  near(r.weights[1]!, 0.1192, 5e-5, "softmax(12)");
  near(r.weights[0]!, E2, 1e-15, "exact value");
  assert.equal(r.weights[0]!.toFixed(2), "0.88");
  assert.equal(r.weights[1]!.toFixed(2), "0.12");
});

test("the seeds' example with tensors: q·k₁ = 112 and q·k₂ = 96 in d_k = 64", () => {
  // q = 64 ones, k₁ = 64 × 1.75 (q·k₁ = 112), k₂ = 64 × 1.5 (q·k₂ = 96).
  const q = tf.ones([1, 64]);
  const k = tf.stack([tf.fill([64], 1.75), tf.fill([64], 1.5)]);
  const v = tf.tensor2d([[1, 0], [0, 1]]);
  const { output, weights } = scaledDotProductAttention(q, k, v);
  nearAll(weights.dataSync(), [E2, 1 - E2], 1e-6, "weights");
  // With one-hot values the output is the weights themselves.
  nearAll(output.dataSync(), [E2, 1 - E2], 1e-6, "output");
});

test("scaled dot-product attention on a 3×2 example worked by hand", () => {
  // d_k = 4, so √d_k = 2.
  //   q₁ = (2,0,0,0)  q₂ = (0,2,0,0)  q₃ = 0        k₁ = (2,0,0,0)  k₂ = (0,2,0,0)
  //   scores  [[4, 0], [0, 4], [0, 0]]  → / 2 → [[2, 0], [0, 2], [0, 0]]
  //   weights [[e²/(e²+1), 1/(e²+1)], [1/(e²+1), e²/(e²+1)], [½, ½]] = [[.8808, .1192], [.1192, .8808], [.5, .5]]
  //   v₁ = (1, 0), v₂ = (0, 10)  → outputs (.8808, 1.192), (.1192, 8.808), (.5, 5)
  const q = tf.tensor2d([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 0, 0]]);
  const k = tf.tensor2d([[2, 0, 0, 0], [0, 2, 0, 0]]);
  const v = tf.tensor2d([[1, 0], [0, 10]]);
  const { output, weights } = scaledDotProductAttention(q, k, v);
  assert.deepEqual(weights.shape, [3, 2]);
  nearAll(weights.dataSync(), [E2, 1 - E2, 1 - E2, E2, 0.5, 0.5], 1e-6, "weights");
  nearAll(output.dataSync(), [E2, 10 * (1 - E2), 1 - E2, 10 * E2, 0.5, 5], 1e-5, "output");
  // The plain-number version agrees step by step.
  const byHand = attentionByHand([[2, 0, 0, 0], [0, 2, 0, 0], [0, 0, 0, 0]], [[2, 0, 0, 0], [0, 2, 0, 0]], [[1, 0], [0, 10]]);
  assert.deepEqual(byHand.scores, [[4, 0], [0, 4], [0, 0]]);
  assert.deepEqual(byHand.scaled, [[2, 0], [0, 2], [0, 0]]);
  nearAll(byHand.output.flat(), [E2, 10 * (1 - E2), 1 - E2, 10 * E2, 0.5, 5], 1e-12, "by hand");
});

test("tensor attention equals the plain-number reference on random batched inputs", () => {
  const rng = new Random(3);
  const [b, tq, tk, dk, dv] = [2, 3, 4, 5, 2];
  const qa = normalValues(b * tq * dk, 1, rng);
  const ka = normalValues(b * tk * dk, 1, rng);
  const va = normalValues(b * tk * dv, 1, rng);
  const { output, weights } = scaledDotProductAttention(tf.tensor3d(qa, [b, tq, dk]), tf.tensor3d(ka, [b, tk, dk]), tf.tensor3d(va, [b, tk, dv]));
  const rows = (a: Float32Array, batch: number, t: number, d: number) => Array.from({ length: t }, (_, i) => Array.from(a.subarray((batch * t + i) * d, (batch * t + i + 1) * d)));
  for (let i = 0; i < b; i++) {
    const ref = attentionByHand(rows(qa, i, tq, dk), rows(ka, i, tk, dk), rows(va, i, tk, dv));
    nearAll(weights.slice([i, 0, 0], [1, tq, tk]).dataSync(), ref.weights.flat(), 1e-6, `weights batch ${i}`);
    nearAll(output.slice([i, 0, 0], [1, tq, dv]).dataSync(), ref.output.flat(), 1e-5, `output batch ${i}`);
  }
});

test("'The big dog' in 2-D: dot products by hand, rows of weights sum to 1", () => {
  const r = bigDogSelfAttention();
  // The·The = 0.5² + 0.87² = 1.0069; The·big = −0.35 − 0.609 = −0.959; big·dog = −0.567 + 0.413 = −0.154.
  near(r.scores[0]![0]!, 1.0069, 1e-12, "The·The");
  near(r.scores[0]![1]!, -0.959, 1e-12, "The·big");
  near(r.scores[1]![2]!, -0.154, 1e-12, "big·dog");
  near(r.scaled[0]![1]!, -0.959 / Math.SQRT2, 1e-12, "scaled by √2");
  for (const row of r.weights) near(row.reduce((s, w) => s + w, 0), 1, 1e-12, "row sum");
  // Each word attends most to itself (unit vectors: self-similarity is the largest dot product).
  r.weights.forEach((row, i) => assert.equal(row.indexOf(Math.max(...row)), i));
  // Causally masked, "The" can only read itself.
  assert.deepEqual(bigDogSelfAttention(causalMaskArray(3)).weights[0], [1, 0, 0]);
});

test("softmaxRow: stable and exact at −Infinity", () => {
  nearAll(softmaxRow([1000, 1000]), [0.5, 0.5], 1e-15, "large equal values");
  assert.deepEqual(softmaxRow([0, -Infinity]), [1, 0]);
  assert.throws(() => softmaxRow([-Infinity, -Infinity]), /every position is masked/);
});

test("causal mask: lower-triangular, with the KV-cache offset", () => {
  assert.deepEqual(causalMask(3).arraySync(), [[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
  assert.deepEqual(causalMaskArray(3), [[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
  // 2 new queries after 2 cached positions: the first sees positions 0–2, the second 0–3.
  assert.deepEqual(causalMask(2, 4).arraySync(), [[1, 1, 1, 0], [1, 1, 1, 1]]);
  assert.throws(() => causalMask(3, 2), /keys \(2\) must be ≥ queries \(3\)/);
  // Weights above the diagonal are exactly 0, each row still sums to 1.
  const rng = new Random(5);
  const x = tf.tensor2d(normalValues(4 * 3, 1, rng), [4, 3]);
  const w = scaledDotProductAttention(x, x, x, causalMask(4)).weights.arraySync() as number[][];
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) assert.equal(w[i]![j], 0, `weight (${i}, ${j})`);
    near(w[i]!.reduce((s, v) => s + v, 0), 1, 1e-6, `row ${i}`);
  }
  assert.equal(w[0]![0], 1);
});

test("padding masks hide padded keys: weights exactly 0, masked keys and values change nothing", () => {
  const ids = tf.tensor2d([[5, 6, 7, 0], [8, 9, 0, 0]], [2, 4], "int32");
  const mask = paddingMask(ids, 0);
  assert.deepEqual(mask.shape, [2, 1, 4]);
  assert.deepEqual(mask.arraySync(), [[[1, 1, 1, 0]], [[1, 1, 0, 0]]]);
  assert.deepEqual(lengthMask([3, 2], 4).arraySync(), mask.arraySync());
  const rng = new Random(8);
  const q = tf.tensor3d(normalValues(2 * 3 * 4, 1, rng), [2, 3, 4]);
  const kData = normalValues(2 * 4 * 4, 1, rng);
  const vData = normalValues(2 * 4 * 2, 1, rng);
  const a = scaledDotProductAttention(q, tf.tensor3d(kData, [2, 4, 4]), tf.tensor3d(vData, [2, 4, 2]), mask);
  const w = a.weights.arraySync() as number[][][];
  for (let i = 0; i < 3; i++) {
    assert.equal(w[0]![i]![3], 0);
    assert.equal(w[1]![i]![2], 0);
    assert.equal(w[1]![i]![3], 0);
  }
  // Scramble the keys and values at the padded positions: the output must not move at all.
  const k2 = kData.slice();
  const v2 = vData.slice();
  for (const [b, t] of [[0, 3], [1, 2], [1, 3]]) {
    for (let d = 0; d < 4; d++) k2[(b! * 4 + t!) * 4 + d] = 100 * (d + 1);
    for (let d = 0; d < 2; d++) v2[(b! * 4 + t!) * 2 + d] = -1000;
  }
  const b = scaledDotProductAttention(q, tf.tensor3d(k2, [2, 4, 4]), tf.tensor3d(v2, [2, 4, 2]), mask);
  assert.deepEqual(Array.from(b.output.dataSync()), Array.from(a.output.dataSync()));
  assert.deepEqual(Array.from(b.weights.dataSync()), Array.from(a.weights.dataSync()));
});

test("multi-head attention with one head is single-head attention with the same projections", () => {
  const rng = new Random(11);
  const mha = new MultiHeadAttention({ dModel: 6, heads: 1, rng });
  const x = tf.tensor3d(normalValues(2 * 3 * 6, 1, rng), [2, 3, 6]);
  const { output, weights } = mha.forward(x);
  const q = mha.wq.apply(x);
  const k = mha.wk.apply(x);
  const v = mha.wv.apply(x);
  const single = scaledDotProductAttention(q, k, v);
  assert.ok(maxAbsDiff(output, mha.wo.apply(single.output)) <= 1e-5);
  assert.ok(maxAbsDiff(weights.squeeze([1]), single.weights) <= 1e-6);
  mha.dispose();
});

test("multi-head attention = each head's attention on its slice of the projections, concatenated, then W_O", () => {
  const rng = new Random(12);
  const heads = 3;
  const mha = new MultiHeadAttention({ dModel: 6, heads, rng });
  const x = tf.tensor3d(normalValues(2 * 4 * 6, 1, rng), [2, 4, 6]);
  const source = tf.tensor3d(normalValues(2 * 5 * 6, 1, rng), [2, 5, 6]);
  const { output, weights } = mha.forward(x, source); // cross-attention: 4 queries, 5 keys
  assert.deepEqual(weights.shape, [2, heads, 4, 5]);
  const q = mha.wq.apply(x);
  const k = mha.wk.apply(source);
  const v = mha.wv.apply(source);
  const perHead = Array.from({ length: heads }, (_, h) =>
    scaledDotProductAttention(q.slice([0, 0, 2 * h], [2, 4, 2]), k.slice([0, 0, 2 * h], [2, 5, 2]), v.slice([0, 0, 2 * h], [2, 5, 2])),
  );
  const expected = mha.wo.apply(tf.concat(perHead.map((p) => p.output), 2));
  assert.ok(maxAbsDiff(output, expected) <= 1e-5);
  perHead.forEach((p, h) => assert.ok(maxAbsDiff(weights.slice([0, h, 0, 0], [2, 1, 4, 5]).squeeze([1]), p.weights) <= 1e-6, `head ${h}`));
  // split then merge is the identity.
  assert.equal(maxAbsDiff(mha.mergeHeads(mha.splitHeads(x)), x), 0);
  mha.dispose();
});

test("KV cache: incremental decoding equals full causal recomputation (≤ 1e-5)", () => {
  const rng = new Random(13);
  const mha = new MultiHeadAttention({ dModel: 8, heads: 2, rng });
  const [b, t, d] = [2, 6, 8];
  const x = tf.tensor3d(normalValues(b * t * d, 1, rng), [b, t, d]);
  const full = mha.forward(x, null, { mask: causalMask(t) });
  // One position at a time.
  let cache: KeyValues | null = null;
  const outputs: tfType.Tensor[] = [];
  for (let i = 0; i < t; i++) {
    const r = mha.step(x.slice([0, i, 0], [b, 1, d]), cache);
    assert.deepEqual(r.cache.keys.shape, [b, 2, i + 1, 4]);
    assert.deepEqual(r.weights.shape, [b, 2, 1, i + 1]);
    cache = r.cache;
    outputs.push(r.output);
  }
  assert.ok(maxAbsDiff(tf.concat(outputs, 1), full.output) <= 1e-5);
  // Chunks of several positions (a prompt, then the rest) are masked causally among themselves.
  const first = mha.step(x.slice([0, 0, 0], [b, 4, d]), null);
  const second = mha.step(x.slice([0, 4, 0], [b, 2, d]), first.cache);
  assert.ok(maxAbsDiff(tf.concat([first.output, second.output], 1), full.output) <= 1e-5);
  assert.ok(maxAbsDiff(second.weights, full.weights.slice([0, 0, 4, 0], [b, 2, 2, t])) <= 1e-6);
  // With padding (batch row 1 has 2 padded positions at the start, as left-padded prompts do).
  const pad = lengthMask([6, 6], 6).mul(tf.tensor3d([[[1, 1, 1, 1, 1, 1]], [[0, 0, 1, 1, 1, 1]]])) as tfType.Tensor3D;
  const fullPadded = mha.forward(x, null, { mask: tf.mul(pad.expandDims(1), causalMask(t)) });
  const p1 = mha.step(x.slice([0, 0, 0], [b, 3, d]), null, { mask: pad.slice([0, 0, 0], [b, 1, 3]) });
  const p2 = mha.step(x.slice([0, 3, 0], [b, 3, d]), p1.cache, { mask: pad });
  const rows = tf.concat([p1.output, p2.output], 1);
  // Rows 2… of batch 1 (rows 0–1 see only padding: uniform weights by design, not compared).
  assert.ok(maxAbsDiff(rows.slice([0, 0, 0], [1, t, d]), fullPadded.output.slice([0, 0, 0], [1, t, d])) <= 1e-5);
  assert.ok(maxAbsDiff(rows.slice([1, 2, 0], [1, 4, d]), fullPadded.output.slice([1, 2, 0], [1, 4, d])) <= 1e-5);
  mha.dispose();
});

test("smeared keys: key t = k_{t−1} + σ(s)·(k_t − k_{t−1}) on a 3×2 example by hand; the KV cache gives the same outputs; masks and cross-attention are refused", () => {
  const mha = new MultiHeadAttention({ dModel: 2, heads: 1, smearKeys: true });
  // Identity projections, no bias: q = k = v = x; s = ln 3, so σ(s) = 3/4.
  for (const layer of [mha.wq, mha.wk, mha.wv, mha.wo]) {
    layer.weight.assign(tf.tensor2d([[1, 0], [0, 1]]));
    layer.bias!.assign(tf.zeros([2]));
  }
  mha.smear!.assign(tf.tensor1d([Math.log(3)]));
  const rows = [[1, 0], [0, 1], [1, 1]];
  // Smeared keys by hand: ¾·(1, 0) = (0.75, 0); ¼·(1, 0) + ¾·(0, 1) = (0.25, 0.75); ¼·(0, 1) + ¾·(1, 1) = (0.75, 1).
  const keys = [[0.75, 0], [0.25, 0.75], [0.75, 1]];
  const expected = rows.flatMap((q, i) => {
    const scores = keys.slice(0, i + 1).map((k) => (q[0]! * k[0]! + q[1]! * k[1]!) / Math.SQRT2);
    const weights = scores.map((v) => Math.exp(v)).map((e, _, all) => e / all.reduce((a, b) => a + b, 0));
    return [0, 1].map((c) => weights.reduce((sum, w, j) => sum + w * rows[j]![c]!, 0));
  });
  // Row 2 by hand: scores (0.75, 1, 1.75)/√2 = (0.5303, 0.7071, 1.2374), weights (0.2369, 0.2827, 0.4804), first output 0.2369 + 0.4804.
  near(expected[4]!, 0.7173, 1e-4, "row 2, first output");
  const x = tf.tensor3d([rows], [1, 3, 2]);
  const full = mha.forward(x, null, { causal: true });
  nearAll(full.output.dataSync(), expected, 1e-5, "smeared attention");
  assert.deepEqual(mha.namedParameters().map(([name]) => name).slice(-1), ["attention.smear"]);
  // The cache holds the keys before smearing: one position, then two at once.
  const first = mha.step(x.slice([0, 0, 0], [1, 1, 2]), null);
  const rest = mha.step(x.slice([0, 1, 0], [1, 2, 2]), first.cache);
  nearAll(first.cache.keys.dataSync(), [1, 0], 0, "cached key");
  nearAll(tf.concat([first.output, rest.output], 1).dataSync(), expected, 1e-5, "with the KV cache");
  assert.throws(() => mha.forward(x, x), /smeared keys are for self-attention/);
  assert.throws(() => mha.forward(x, null, { mask: causalMask(3) }), /smeared keys take no mask/);
  assert.throws(() => mha.step(x, null, { mask: tf.ones([1, 1, 3]) }), /smeared keys take no mask/);
  mha.dispose();
});

test("sinusoidal positional encodings: values computed by hand", () => {
  // d = 4: columns 0,1 use frequency 1, columns 2,3 use 1/10000^(2/4) = 1/100.
  const pe = sinusoidalPositionalEncoding(3, 4).arraySync();
  nearAll(pe[0]!, [0, 1, 0, 1], 1e-7, "pos 0: sin 0, cos 0");
  nearAll(pe[1]!, [Math.sin(1), Math.cos(1), Math.sin(0.01), Math.cos(0.01)], 1e-6, "pos 1");
  // sin 1 = 0.841471, cos 1 = 0.540302, sin 0.02 = 0.019999, cos 0.02 = 0.999800
  nearAll(pe[2]!, [0.9092974, -0.4161468, 0.0199987, 0.9998], 1e-6, "pos 2");
  near(positionalEncodingValue(1, 0, 4), 0.841471, 1e-6, "PE(1, 0)");
  near(positionalEncodingValue(2, 3, 4), 0.9998, 1e-6, "PE(2, 3)");
  // d = 512 (the paper): PE(10, 256) = sin(10 / 10000^(256/512)) = sin(0.1).
  near(positionalEncodingValue(10, 256, 512), Math.sin(0.1), 1e-12, "PE(10, 256), d = 512");
  nearAll(sinusoidalPositionalEncoding(5, 6).dataSync(), positionalEncodingTable(5, 6).flat(), 1e-6, "tensor = table");
  assert.throws(() => positionalEncodingValue(0, 4, 4), /dimension must be an integer in 0…3/);
});

test("parameter counts computed by hand", () => {
  // One attention layer, d = 8: 4 projections of 8×8 weights + 8 biases = 4 · 72 = 288, whatever the heads.
  for (const heads of [1, 2, 4]) {
    const mha = new MultiHeadAttention({ dModel: 8, heads });
    assert.equal(countParameters(mha), 288);
    mha.dispose();
  }
  assert.equal(multiHeadAttentionParameterCount(8), 288);
  // Feed-forward 8 → 32 → 8: 8·32 + 32 + 32·8 + 8 = 552. LayerNorm over 8: γ and β, 16.
  const ff = new FeedForward(8, 32);
  assert.equal(countParameters(ff), 552);
  assert.equal(feedForwardParameterCount(8, 32), 552);
  const ln = new LayerNorm(8);
  assert.equal(countParameters(ln), 16);
  ff.dispose();
  ln.dispose();
});

test("LayerNorm: each position centred and scaled to unit variance", () => {
  const ln = new LayerNorm(4, { epsilon: 0 });
  // [1, 2, 3, 4]: mean 2.5, variance 1.25 → (x − 2.5) / √1.25
  const s = Math.sqrt(1.25);
  nearAll(ln.apply(tf.tensor2d([[1, 2, 3, 4]])).dataSync(), [-1.5 / s, -0.5 / s, 0.5 / s, 1.5 / s], 1e-6, "normalised");
  ln.dispose();
});

test("matMul's gradient equals tf.matMul's (transposes done explicitly for wasm's fast path)", () => {
  const rng = new Random(14);
  const a = tf.tensor3d(normalValues(2 * 3 * 4, 1, rng), [2, 3, 4]);
  const b = tf.tensor3d(normalValues(2 * 4 * 5, 1, rng), [2, 4, 5]);
  const w = tf.tensor3d(normalValues(2 * 3 * 5, 1, rng), [2, 3, 5]);
  const ours = tf.grads((x: tfType.Tensor, y: tfType.Tensor) => tf.sum(tf.mul(matMul(x, y), w)))([a, b]);
  const theirs = tf.grads((x: tfType.Tensor, y: tfType.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), w)))([a, b]);
  assert.ok(maxAbsDiff(ours[0]!, theirs[0]!) <= 1e-5);
  assert.ok(maxAbsDiff(ours[1]!, theirs[1]!) <= 1e-5);
  assert.throws(() => matMul(a, a), /matMul: expected a \[\.\.\., m, k\] and b \[\.\.\., k, n\].*\[2, 3, 4\] and \[2, 3, 4\]/);
});

test("bad shapes are named in the error", () => {
  const q = tf.zeros([2, 3, 4]);
  assert.throws(() => scaledDotProductAttention(q, tf.zeros([2, 5, 3]), tf.zeros([2, 5, 2])), /same last axis d_k, got q \[2, 3, 4\] and k \[2, 5, 3\]/);
  assert.throws(() => scaledDotProductAttention(q, tf.zeros([2, 5, 4]), tf.zeros([2, 6, 2])), /one value per key, got k \[2, 5, 4\] and v \[2, 6, 2\]/);
  assert.throws(() => scaledDotProductAttention(q, tf.zeros([2, 5, 4]), tf.zeros([2, 5, 2]), tf.ones([4, 5])), /mask \[4, 5\] does not broadcast to the scores \[2, 3, 5\]/);
  assert.throws(() => new MultiHeadAttention({ dModel: 6, heads: 4 }), /heads \(4\) must divide dModel \(6\)/);
  const mha = new MultiHeadAttention({ dModel: 8, heads: 2 });
  assert.throws(() => mha.forward(tf.zeros([2, 3, 6])), /input must be \[batch, T, 8\], got \[2, 3, 6\]/);
  mha.dispose();
});

test("no tensor leaks: attention calls and KV-cache steps free their intermediates", () => {
  const mha = new MultiHeadAttention({ dModel: 8, heads: 2, rng: new Random(1) });
  const x = tf.ones([1, 1, 8]);
  const y = tf.ones([2, 3, 8]);
  const mask = causalMask(3);
  const before = tf.memory().numTensors;
  let cache: KeyValues | null = null;
  for (let i = 0; i < 5; i++) {
    const r = mha.step(x, cache);
    if (cache) tf.dispose([cache.keys, cache.values]);
    cache = r.cache;
    tf.dispose([r.output, r.weights]);
  }
  tf.dispose([cache!.keys, cache!.values]);
  const f = mha.forward(y, null, { mask });
  tf.dispose([f.output, f.weights]);
  assert.equal(tf.memory().numTensors, before);
  mha.dispose();
});
