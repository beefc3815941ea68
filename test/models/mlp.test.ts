import assert from "node:assert/strict";
import { test } from "node:test";
import { mlpKernelAvailable } from "../../lib/kernels/mlp";
import { MAKEMORE_PART2_INIT, MlpLanguageModel, type MlpConfig } from "../../lib/models/mlp";
import { dropoutMask, hiddenStride, mlpLossAndGradients, zeroParameters, type MlpParameters, type MlpShape } from "../../lib/models/mlp-math";
import { Random } from "../../lib/random";
import type { ContextDataset } from "../../lib/training/trainable";

type Key = keyof MlpParameters;
const KEYS: Key[] = ["embedding", "hiddenWeight", "hiddenBias", "outputWeight", "outputBias"];

/** A random dataset of `n` examples over `vocab` symbols with context `width`. */
function randomData(n: number, width: number, vocab: number, seed: number): ContextDataset {
  const rng = new Random(seed);
  const contexts = new Int32Array(n * width);
  const targets = new Int32Array(n);
  for (let i = 0; i < contexts.length; i++) contexts[i] = rng.int(vocab);
  for (let i = 0; i < n; i++) targets[i] = rng.int(vocab);
  return { size: n, width, contexts, targets };
}

function randomIndices(rng: Random, count: number, size: number): Int32Array {
  return Int32Array.from({ length: count }, () => rng.int(size));
}

/** max |a − b| / max |a|: the error relative to the array's scale. */
function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

// Small, deliberately awkward sizes: H = 6 is padded to a stride of 8, V = 7 and B·E = 6 leave SIMD tails.
const SMALL: MlpShape = { vocabSize: 7, contextSize: 2, embeddingSize: 3, hiddenSize: 6 };

function randomParameters(shape: MlpShape, seed: number): MlpParameters<Float64Array> {
  const params = zeroParameters(shape, "float64") as MlpParameters<Float64Array>;
  const rng = new Random(seed);
  const hs = hiddenStride(shape);
  for (const key of KEYS) {
    const array = params[key];
    for (let i = 0; i < array.length; i++) {
      // Padding columns (hidden units ≥ H) stay zero, as the model keeps them.
      const padded = key !== "embedding" && key !== "outputBias" && i % hs >= shape.hiddenSize;
      array[i] = padded ? 0 : rng.normal() * 0.7;
    }
  }
  return params;
}

for (const withDropout of [false, true]) {
  test(`analytic gradients match central finite differences${withDropout ? " (with a dropout mask)" : ""}`, () => {
    const params = randomParameters(SMALL, 3);
    const data = randomData(40, SMALL.contextSize, SMALL.vocabSize, 4);
    const rows = Int32Array.from([0, 5, 5, 9, 13, 21, 30, 39]); // a repeated row: its gradient counts twice
    const mask = withDropout ? dropoutMask(rows.length, SMALL.hiddenSize, 0.3, new Uint32Array([9, 8, 7, 6])) : undefined;
    const { loss, gradients } = mlpLossAndGradients(SMALL, params, data.contexts, data.targets, rows, mask);
    assert.ok(Number.isFinite(loss) && loss > 0);
    const eps = 1e-6;
    let checked = 0;
    for (const key of KEYS) {
      const p = params[key];
      for (let i = 0; i < p.length; i++) {
        const saved = p[i]!;
        p[i] = saved + eps;
        const up = mlpLossAndGradients(SMALL, params, data.contexts, data.targets, rows, mask).loss;
        p[i] = saved - eps;
        const down = mlpLossAndGradients(SMALL, params, data.contexts, data.targets, rows, mask).loss;
        p[i] = saved;
        const numeric = (up - down) / (2 * eps);
        const analytic = gradients[key][i]!;
        assert.ok(Math.abs(numeric - analytic) <= 1e-7 + 1e-5 * Math.abs(analytic), `${key}[${i}]: analytic ${analytic}, finite differences ${numeric}`);
        checked++;
      }
    }
    assert.equal(checked, 7 * 3 + 6 * 8 + 8 + 7 * 8 + 7);
  });
}

test("the gradient of a hand-sized case: one example, uniform output, known values", () => {
  // V = 2, B = 1, E = 1, H = 1 with W2 = 0: softmax is uniform, so ∂loss/∂b2 = p − onehot = [0.5, −0.5].
  const shape: MlpShape = { vocabSize: 2, contextSize: 1, embeddingSize: 1, hiddenSize: 1 };
  const params = zeroParameters(shape, "float64") as MlpParameters<Float64Array>;
  params.embedding.set([0.5, -1]);
  params.hiddenWeight[0] = 2;
  const { loss, gradients } = mlpLossAndGradients(shape, params, Int32Array.from([1]), Int32Array.from([0]), Int32Array.from([0]));
  assert.ok(Math.abs(loss - Math.log(2)) < 1e-12);
  assert.deepEqual(Array.from(gradients.outputBias), [-0.5, 0.5]);
  // ∂loss/∂W2[v] = (p_v − y_v) · h with h = tanh(2 · −1).
  const h = Math.tanh(-2);
  assert.ok(Math.abs(gradients.outputWeight[0]! - -0.5 * h) < 1e-12);
  assert.ok(Math.abs(gradients.outputWeight[4]! - 0.5 * h) < 1e-12);
  // W2 = 0, so nothing flows back into the hidden layer or the embedding.
  assert.deepEqual(Array.from(gradients.embedding), [0, 0]);
});

const kernelTest = mlpKernelAvailable() ? test : test.skip;

function compareBackends(config: MlpConfig, data: ContextDataset, batch: number, steps: number, lr: number): void {
  const wasm = new MlpLanguageModel({ ...config, backend: "wasm" });
  const ts = new MlpLanguageModel({ ...config, backend: "ts" });
  for (const key of KEYS) assert.deepEqual(wasm.rawParameters()[key], ts.rawParameters()[key], `same initial ${key}`);
  const rng = new Random(11);
  for (let s = 0; s < steps; s++) {
    const indices = randomIndices(rng, batch, data.size);
    const a = ts.trainStep(data, indices, lr);
    const b = wasm.trainStep(data, indices, lr);
    assert.ok(Math.abs(a - b) <= 1e-5 * Math.abs(a), `step ${s}: loss ${b} (wasm) vs ${a} (ts)`);
  }
  for (const key of KEYS) {
    const err = relativeError(ts.rawParameters()[key], wasm.rawParameters()[key]);
    assert.ok(err <= 1e-5, `${key} after ${steps} steps: relative error ${err}`);
  }
  const devA = ts.evaluate(data);
  const devB = wasm.evaluate(data);
  assert.ok(Math.abs(devA - devB) <= 1e-5 * devA, `evaluate: ${devB} (wasm) vs ${devA} (ts)`);
}

kernelTest("the WebAssembly step equals the TypeScript step at makemore's sizes", () => {
  compareBackends({ vocabSize: 28, seed: 5 }, randomData(500, 3, 28, 1), 32, 5, 0.1);
});

kernelTest("the WebAssembly step equals the TypeScript step with dropout and weight decay", () => {
  compareBackends({ vocabSize: 28, seed: 6, dropout: 0.25, weightDecay: 0.01 }, randomData(500, 3, 28, 2), 32, 5, 0.1);
});

kernelTest("the WebAssembly step equals the TypeScript step at odd sizes, odd batches and a batch larger than its workspace", () => {
  const config: MlpConfig = { vocabSize: 7, contextSize: 2, embeddingSize: 3, hiddenSize: 6, seed: 8, dropout: 0.1, weightDecay: 0.001, init: MAKEMORE_PART2_INIT };
  const data = randomData(300, 2, 7, 3);
  compareBackends(config, data, 5, 3, 0.05);
  compareBackends(config, data, 1, 2, 0.05);
  compareBackends({ ...config, hiddenSize: 13, embeddingSize: 5, contextSize: 4 }, randomData(300, 4, 7, 5), 257, 2, 0.05);
});

test("the same seed gives the same training run; another seed another one", () => {
  const data = randomData(400, 3, 10, 7);
  const losses = (seed: number, backend?: "ts") => {
    const model = new MlpLanguageModel({ vocabSize: 10, hiddenSize: 20, seed, dropout: 0.2, backend });
    const rng = new Random(1);
    return Array.from({ length: 20 }, () => model.trainStep(data, randomIndices(rng, 16, data.size), 0.1));
  };
  assert.deepEqual(losses(1), losses(1));
  assert.notDeepEqual(losses(1), losses(2));
  assert.deepEqual(losses(1, "ts"), losses(1, "ts"));
});

test("initialisation: makemore's layout and the default scales", () => {
  const model = new MlpLanguageModel({ vocabSize: 28 });
  assert.equal(model.parameterCount, 28 * 10 + 30 * 200 + 200 + 200 * 28 + 28);
  assert.equal(new MlpLanguageModel({ vocabSize: 27 }).parameterCount, 11897); // makemore's figure
  const w = model.weights();
  assert.equal(w.C.length, 280);
  assert.equal(w.W1.length, 6000);
  assert.equal(w.W2.length, 5600);
  const std = (xs: Float32Array) => Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);
  assert.ok(Math.abs(std(w.C) - 1) < 0.15, `std C ${std(w.C)}`);
  assert.ok(Math.abs(std(w.W1) - 5 / 3 / Math.sqrt(30)) < 0.02, `std W1 ${std(w.W1)}`);
  assert.ok(Math.abs(std(w.W2) - 0.01) < 0.001, `std W2 ${std(w.W2)}`);
  assert.deepEqual(Array.from(w.b2), new Array(28).fill(0));
  // Near-uniform predictions at the start: the loss is close to ln V.
  const data = randomData(2000, 3, 28, 9);
  assert.ok(Math.abs(model.evaluate(data) - Math.log(28)) < 0.05);
  const part2 = new MlpLanguageModel({ vocabSize: 28, init: MAKEMORE_PART2_INIT });
  assert.ok(Math.abs(std(part2.weights().W1) - 1) < 0.05);
  assert.ok(part2.evaluate(data) > 10, "randn initialisation starts far above ln V");
  // weights() is makemore's W2 (H × V): entry [h][v] is row v of the output-major raw layout.
  const raw = model.rawParameters();
  assert.equal(w.W2[3 * 28 + 5], raw.outputWeight[5 * 200 + 3]);
  assert.equal(w.W1[7 * 200 + 11], raw.hiddenWeight[7 * 200 + 11]);
});

test("sampling, next-symbol probabilities and embeddings", () => {
  const model = new MlpLanguageModel({ vocabSize: 6, hiddenSize: 8, embeddingSize: 2, seed: 3 });
  const p = model.nextProbabilities([0, 0, 0]);
  assert.equal(p.length, 6);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  const a = Array.from({ length: 5 }, () => null).map((_, i) => model.sample(new Random(i), 12));
  const b = Array.from({ length: 5 }, () => null).map((_, i) => model.sample(new Random(i), 12));
  assert.deepEqual(a, b);
  for (const ids of a) {
    assert.ok(ids.length <= 12);
    assert.ok(ids.every((id) => Number.isInteger(id) && id > 0 && id < 6), `ids ${ids} never contain the boundary`);
  }
  const emb = model.embeddings();
  assert.equal(emb.length, 6);
  assert.ok(emb.every((row) => row.length === 2));
  assert.deepEqual(emb.flat(), Array.from(model.weights().C));
});

test("bad input gets a clear error", () => {
  assert.throws(() => new MlpLanguageModel({ vocabSize: 1 }), /vocabSize must be an integer ≥ 2/);
  assert.throws(() => new MlpLanguageModel({ vocabSize: 28, hiddenSize: 0 }), /hiddenSize/);
  assert.throws(() => new MlpLanguageModel({ vocabSize: 28, dropout: 1 }), /dropout must be a probability in \[0, 1\)/);
  assert.throws(() => new MlpLanguageModel({ vocabSize: 28, weightDecay: -1 }), /weightDecay/);
  assert.throws(() => new MlpLanguageModel({ vocabSize: 28, init: { hiddenWeight: Number.NaN } }), /init.hiddenWeight/);
  assert.throws(() => new MlpLanguageModel({ vocabSize: 28, backend: "gpu" as "ts" }), /backend must be/);
  const model = new MlpLanguageModel({ vocabSize: 5, hiddenSize: 4 });
  const data = randomData(10, 3, 5, 1);
  data.contexts[7 * 3 + 1] = 5;
  assert.throws(() => model.trainStep(data, Int32Array.from([1, 7]), 0.1), /example 7 has context id 5 at position 1, outside the vocabulary 0…4/);
  assert.throws(() => model.evaluate(data), /example 7 has context id 5/);
  data.contexts[7 * 3 + 1] = 0;
  data.targets[2] = -1;
  assert.throws(() => model.trainStep(data, Int32Array.from([2]), 0.1), /example 2 has target id -1/);
  assert.throws(() => model.trainStep(data, Int32Array.from([10]), 0.1), /indices\[0\] = 10 is outside the dataset's examples 0…9/);
  assert.throws(() => model.trainStep(data, new Int32Array(0), 0.1), /non-empty/);
  assert.throws(() => model.trainStep(data, Int32Array.from([1]), Number.NaN), /lr must be a finite number/);
  assert.throws(() => model.trainStep(randomData(10, 2, 5, 1), Int32Array.from([1]), 0.1), /context width is 2/);
  assert.throws(() => model.nextProbabilities([0, 1]), /must hold 3 ids/);
  assert.throws(() => model.nextProbabilities([0, 1, 9]), /context\[2\] = 9/);
});
