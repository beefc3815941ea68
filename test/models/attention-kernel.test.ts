import assert from "node:assert/strict";
import { before, test } from "node:test";
import type * as tfType from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { attentionKernelAvailable, causalAttentionBackward, causalAttentionForward } from "../../lib/kernels/attention";
import { causalMask, causalSelfAttention, fusedCausalAttentionAvailable, MultiHeadAttention, paddingMask, scaledDotProductAttention } from "@llm-course/lib/models/attention";
import { Random } from "@llm-course/lib/random";

let tf: typeof tfType;
before(async () => {
  tf = await initBackend({ backend: "wasm", quiet: true });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Causal attention and its gradients in float64 plain loops: the definition, one (slice, row) at a time. */
function reference(q: Float32Array, k: Float32Array, v: Float32Array, dO: Float32Array, S: number, T: number, D: number) {
  const scale = 1 / Math.sqrt(D);
  const o = new Float64Array(S * T * D), P = new Float64Array(S * T * T);
  const dq = new Float64Array(S * T * D), dk = new Float64Array(S * T * D), dv = new Float64Array(S * T * D);
  const dot = (a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number) => {
    let s = 0;
    for (let c = 0; c < D; c++) s += a[ai + c]! * b[bi + c]!;
    return s;
  };
  for (let s = 0; s < S; s++) {
    const base = s * T * D;
    for (let i = 0; i < T; i++) {
      const scores = Array.from({ length: i + 1 }, (_, j) => dot(q, base + i * D, k, base + j * D) * scale);
      const m = Math.max(...scores);
      const e = scores.map((x) => Math.exp(x - m));
      const z = e.reduce((a, b) => a + b, 0);
      const p = e.map((x) => x / z);
      p.forEach((pj, j) => (P[s * T * T + i * T + j] = pj));
      for (let c = 0; c < D; c++) o[base + i * D + c] = p.reduce((acc, pj, j) => acc + pj * v[base + j * D + c]!, 0);
      const dP = p.map((_, j) => dot(dO, base + i * D, v, base + j * D));
      const rowSum = p.reduce((acc, pj, j) => acc + pj * dP[j]!, 0);
      p.forEach((pj, j) => {
        const dS = pj * (dP[j]! - rowSum);
        for (let c = 0; c < D; c++) {
          dq[base + i * D + c] += scale * dS * k[base + j * D + c]!;
          dk[base + j * D + c] += scale * dS * q[base + i * D + c]!;
          dv[base + j * D + c] += pj * dO[base + i * D + c]!;
        }
      });
    }
  }
  return { o, P, dq, dk, dv };
}

test("the WebAssembly kernel equals the definition (forward, weights, gradients), odd lengths included", () => {
  assert.ok(attentionKernelAvailable());
  const rng = new Random(1);
  for (const [S, T, D] of [[3, 7, 8], [2, 13, 36], [1, 1, 4], [2, 33, 16]] as const) {
    const n = S * T * D;
    const random = () => Float32Array.from({ length: n }, () => rng.normal());
    const [q, k, v, dO] = [random(), random(), random(), random()];
    const shape = { slices: S, length: T, dim: D };
    const { output, probabilities } = causalAttentionForward(q, k, v, shape, 1 / Math.sqrt(D));
    const grads = causalAttentionBackward(q, k, v, probabilities, dO, shape, 1 / Math.sqrt(D));
    const r = reference(q, k, v, dO, S, T, D);
    const what = `S=${S} T=${T} D=${D}`;
    assert.ok(maxDiff(output, r.o) < 2e-6, `${what}: output`);
    assert.ok(maxDiff(probabilities, r.P) < 1e-6, `${what}: weights`);
    assert.ok(maxDiff(grads.dq, r.dq) < 5e-6, `${what}: dq`);
    assert.ok(maxDiff(grads.dk, r.dk) < 5e-6, `${what}: dk`);
    assert.ok(maxDiff(grads.dv, r.dv) < 5e-6, `${what}: dv`);
    // Above the diagonal the weights are exactly 0.
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) assert.equal(probabilities[i * T + j], 0);
  }
  assert.throws(() => causalAttentionForward(new Float32Array(12), new Float32Array(12), new Float32Array(12), { slices: 1, length: 2, dim: 6 }, 1), /dim must be a multiple of 4/);
  assert.throws(() => causalAttentionForward(new Float32Array(7), new Float32Array(8), new Float32Array(8), { slices: 1, length: 2, dim: 4 }, 1), /q must be a Float32Array of 8 numbers, got 7/);
});

test("causalSelfAttention: the kernel path equals scaledDotProductAttention with a causal mask, gradients included", () => {
  const rng = new Random(2);
  for (const dK of [8, 6]) {
    // d_k = 6 is not a multiple of 4: the tfjs path runs instead, with the same results.
    assert.equal(fusedCausalAttentionAvailable(dK), dK % 4 === 0);
    const shape = [2, 3, 10, dK];
    const size = shape.reduce((a, b) => a * b, 1);
    const make = () => tf.tensor(Float32Array.from({ length: size }, () => rng.normal()), shape);
    const [q, k, v, w] = [make(), make(), make(), make()];
    const fused = causalSelfAttention(q, k, v);
    const plain = scaledDotProductAttention(q, k, v, causalMask(10));
    assert.ok(maxDiff(fused.output.dataSync(), plain.output.dataSync()) < 2e-6, `output, d_k ${dK}`);
    assert.ok(maxDiff(fused.weights.dataSync(), plain.weights.dataSync()) < 1e-6, `weights, d_k ${dK}`);
    // A weighted sum of the output, so every output number gets its own gradient.
    const loss = (f: (a: tfType.Tensor, b: tfType.Tensor, c: tfType.Tensor) => tfType.Tensor) => (a: tfType.Tensor, b: tfType.Tensor, c: tfType.Tensor) => tf.sum(tf.mul(f(a, b, c), w));
    const gFused = tf.grads(loss((a, b, c) => causalSelfAttention(a, b, c).output))([q, k, v]);
    const gPlain = tf.grads(loss((a, b, c) => scaledDotProductAttention(a, b, c, causalMask(10)).output))([q, k, v]);
    ["q", "k", "v"].forEach((name, i) => assert.ok(maxDiff(gFused[i]!.dataSync(), gPlain[i]!.dataSync()) < 5e-6, `d${name}, d_k ${dK}`));
    tf.dispose([q, k, v, w, fused.output, fused.weights, plain.output, plain.weights, ...gFused, ...gPlain]);
  }
  assert.throws(() => causalSelfAttention(tf.zeros([2, 4, 8]), tf.zeros([2, 5, 8]), tf.zeros([2, 5, 8])), /must share one shape/);
});

test("MultiHeadAttention { causal: true } = the causal mask, alone or with a padding mask", () => {
  const rng = new Random(3);
  const mha = new MultiHeadAttention({ dModel: 16, heads: 2, rng, name: "self" });
  const x = tf.tensor3d(Float32Array.from({ length: 2 * 9 * 16 }, () => rng.normal()), [2, 9, 16]);
  const causal = mha.forward(x, null, { causal: true });
  const masked = mha.forward(x, null, { mask: causalMask(9) });
  assert.ok(maxDiff(causal.output.dataSync(), masked.output.dataSync()) < 2e-6);
  assert.ok(maxDiff(causal.weights.dataSync(), masked.weights.dataSync()) < 1e-6);
  const ids = tf.tensor2d([[5, 6, 7, 8, 9, 1, 2, 0, 0], [1, 2, 3, 4, 5, 6, 7, 8, 9]], [2, 9], "int32");
  const both = mha.forward(x, null, { causal: true, mask: paddingMask(ids) });
  const product = mha.forward(x, null, { mask: tf.mul(paddingMask(ids).expandDims(1), causalMask(9)) });
  assert.ok(maxDiff(both.output.dataSync(), product.output.dataSync()) < 2e-6);
  assert.throws(() => mha.forward(x, tf.zeros([2, 4, 16]), { causal: true }), /causal attention needs as many keys as queries, got 4 keys for 9 queries/);
  tf.dispose([x, ids, causal.output, causal.weights, masked.output, masked.weights, both.output, both.weights, product.output, product.weights]);
  mha.dispose();
});

test("no tensor leaks on the kernel path, forward and backward", () => {
  const q = tf.randomNormal([2, 2, 12, 8]);
  const start = tf.memory().numTensors;
  for (let i = 0; i < 3; i++) {
    tf.tidy(() => {
      const g = tf.grads((a: tfType.Tensor, b: tfType.Tensor, c: tfType.Tensor) => tf.sum(causalSelfAttention(a, b, c).output))([q, q, q]);
      g[0]!.dataSync();
    });
  }
  assert.equal(tf.memory().numTensors, start);
  q.dispose();
});
