/**
 * lib/models/mlp-batchnorm.ts (the makemore parts 3–4 MLP with BatchNorm) against hand-computed values, and
 * TP4's two exercises built on it: the reference solutions score full marks, a backward pass that hands its
 * work to tfjs autograd or a BatchNorm that delegates to the library's forward pass scores 0.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "../../lib/backend";
import { runExercise } from "../../lib/grading/check";
import { findExercise } from "../../lib/grading/lessons";
import type { Exercise } from "../../lib/grading/spec";
import {
  BATCHNORM_MLP_PARAMETERS,
  batchNormMlpForward,
  initBatchNormMlp,
  type BatchNormMlpForward,
  type BatchNormMlpParams,
} from "../../lib/models/mlp-batchnorm";

before(async () => {
  await initBackend();
});

/** V = 2, B = 1, E = 1, H = 1 with W1 = 2: hprebn = [0, 2] for the contexts [[0], [1]]. */
function tinyParams(): BatchNormMlpParams {
  return {
    C: tf.tensor2d([[0], [1]]),
    W1: tf.tensor2d([[2]]),
    b1: tf.tensor1d([0.5]),
    bnGain: tf.tensor1d([3]),
    bnBias: tf.tensor1d([-1]),
    W2: tf.tensor2d([[1, -1]]),
    b2: tf.tensor1d([0, 0]),
  };
}

describe("batchNormMlpForward", () => {
  it("computes every intermediate of a tiny batch as worked out by hand", () => {
    tf.tidy(() => {
      const f = batchNormMlpForward(tinyParams(), [[0], [1]], [0, 1], { eps: 0 });
      // hprebn = 2·[0, 1] + 0.5 = [0.5, 2.5]; μ = 1.5, σ² = 1 (biased); bnRaw = [−1, 1]; hpreact = 3·[−1, 1] − 1 = [−4, 2]
      assert.deepEqual(Array.from(f.hprebn.dataSync()), [0.5, 2.5]);
      assert.deepEqual(Array.from(f.bnMean.dataSync()), [1.5]);
      assert.deepEqual(Array.from(f.bnVar.dataSync()), [1]);
      assert.deepEqual(Array.from(f.bnRaw.dataSync()), [-1, 1]);
      assert.deepEqual(Array.from(f.hpreact.dataSync()), [-4, 2]);
      // logits = h·[1, −1]: row r = [h_r, −h_r]; loss = mean of ln(1 + e^{−2 h_r·s_r}) with s = +1 for target 0, −1 for target 1
      const [h0, h1] = [Math.tanh(-4), Math.tanh(2)];
      const expected = (Math.log(1 + Math.exp(-2 * h0)) + Math.log(1 + Math.exp(2 * h1))) / 2;
      assert.ok(Math.abs(f.loss.dataSync()[0]! - expected) < 1e-6, `${f.loss.dataSync()[0]} vs ${expected}`);
      const probs = f.probs.arraySync() as number[][];
      for (const row of probs) assert.ok(Math.abs(row[0]! + row[1]! - 1) < 1e-6);
    });
  });

  it("uses the given statistics at inference, so one example is not wiped out", () => {
    tf.tidy(() => {
      const params = tinyParams();
      const alone = batchNormMlpForward(params, [[1]], [0]);
      assert.deepEqual(Array.from(alone.bnRaw.dataSync()), [0], "a batch of one normalises to 0");
      const f = batchNormMlpForward(params, [[1]], [0], { eps: 0, statistics: { mean: tf.tensor1d([0.5]), variance: tf.tensor1d([4]) } });
      // (2.5 − 0.5)/2 = 1 → hpreact = 3·1 − 1 = 2
      assert.deepEqual(Array.from(f.bnRaw.dataSync()), [1]);
      assert.deepEqual(Array.from(f.hpreact.dataSync()), [2]);
    });
  });

  it("refuses a context of the wrong width or an id outside the vocabulary, naming it", () => {
    tf.tidy(() => {
      const params = tinyParams();
      assert.throws(() => batchNormMlpForward(params, [[0, 1]], [0]), /context 0 must hold 1 ids/);
      assert.throws(() => batchNormMlpForward(params, [[2]], [0]), /context 0 has id 2 at position 0, outside the vocabulary 0…1/);
      assert.throws(() => batchNormMlpForward(params, [[0]], [5]), /target 0 is 5/);
      assert.throws(() => batchNormMlpForward(params, [[0]], []), /1 contexts but 0 targets/);
      assert.throws(() => batchNormMlpForward({ ...params, W2: tf.zeros([1, 3]) as tf.Tensor2D }, [[0]], [0]), /W2 has 3 columns but C has 2 rows/);
    });
  });

  it("initBatchNormMlp: part 4's shapes and scales, the same numbers for the same seed", () => {
    const a = initBatchNormMlp({ vocabSize: 28, contextSize: 3, embeddingSize: 10, hiddenSize: 200 }, 42);
    const b = initBatchNormMlp({ vocabSize: 28, contextSize: 3, embeddingSize: 10, hiddenSize: 200 }, 42);
    try {
      assert.deepEqual(BATCHNORM_MLP_PARAMETERS.map((name) => a[name].shape), [[28, 10], [30, 200], [200], [200], [200], [200, 28], [28]]);
      assert.deepEqual(Array.from(a.W1.dataSync()), Array.from(b.W1.dataSync()));
      const std = (t: tf.Tensor) => tf.tidy(() => Math.sqrt(tf.moments(t).variance.dataSync()[0]!));
      assert.ok(Math.abs(std(a.W1) - 5 / 3 / Math.sqrt(30)) < 0.02, `std(W1) = ${std(a.W1)}`);
      assert.ok(Math.abs(tf.tidy(() => a.bnGain.mean().dataSync()[0]!) - 1) < 0.03);
      assert.throws(() => initBatchNormMlp({ vocabSize: 28, contextSize: 0, embeddingSize: 10, hiddenSize: 200 }, 1), /contextSize must be an integer ≥ 1/);
    } finally {
      tf.dispose([...BATCHNORM_MLP_PARAMETERS.map((name) => a[name]), ...BATCHNORM_MLP_PARAMETERS.map((name) => b[name])]);
    }
  });
});

type BatchNormLayer = { gain: tf.Tensor1D; bias: tf.Tensor1D; runningMean: tf.Variable<tf.Rank.R1>; runningVar: tf.Variable<tf.Rank.R1>; momentum: number; eps: number };
type Gradients = { [K in keyof BatchNormMlpParams]: tf.Tensor };

// The notebook's solutions (solutions/tp04-mlp.ipynb), kept here so that the specs are tested without a kernel.
function batchNorm(x: tf.Tensor2D, layer: BatchNormLayer, training: boolean): tf.Tensor2D {
  if (!training) return x.sub(layer.runningMean).div(layer.runningVar.add(layer.eps).sqrt()).mul(layer.gain).add(layer.bias);
  const mean = x.mean(0);
  const variance = x.sub(mean).square().mean(0);
  tf.tidy(() => {
    layer.runningMean.assign(layer.runningMean.mul(1 - layer.momentum).add(mean.mul(layer.momentum)));
    layer.runningVar.assign(layer.runningVar.mul(1 - layer.momentum).add(variance.mul(layer.momentum)));
  });
  return x.sub(mean).div(variance.add(layer.eps).sqrt()).mul(layer.gain).add(layer.bias);
}

function mlpBackward(params: BatchNormMlpParams, forward: BatchNormMlpForward): Gradients {
  return tf.tidy(() => {
    const n = forward.logits.shape[0];
    const [V, E] = params.C.shape;
    const dlogits = forward.probs.sub(tf.oneHot(forward.targets, V)).div(n);
    const dh = tf.matMul(dlogits, params.W2, false, true);
    const dhpreact = dh.mul(tf.scalar(1).sub(forward.h.square()));
    const dbnRaw = dhpreact.mul(params.bnGain);
    const dhprebn = forward.bnVarInv.div(n).mul(dbnRaw.mul(n).sub(dbnRaw.sum(0)).sub(forward.bnRaw.mul(dbnRaw.mul(forward.bnRaw).sum(0))));
    const dembcat = tf.matMul(dhprebn, params.W1, false, true);
    return {
      C: tf.matMul(tf.oneHot(forward.contexts.flatten(), V), dembcat.reshape([-1, E]), true, false),
      W1: tf.matMul(forward.embcat, dhprebn, true, false),
      b1: dhprebn.sum(0),
      bnGain: dhpreact.mul(forward.bnRaw).sum(0),
      bnBias: dhpreact.sum(0),
      W2: tf.matMul(forward.h, dlogits, true, false),
      b2: dlogits.sum(0),
    };
  });
}

function withoutGuard<T>(exercise: Exercise<T>): Exercise<T> {
  const { offLimits: _ignored, ...rest } = exercise;
  return rest;
}

describe("TP4's BatchNorm and manual backward exercises", () => {
  it("the notebook's solutions score full marks", async () => {
    for (const [id, solution] of [["tp04.batchnorm", batchNorm], ["tp04.manual_backward", mlpBackward]] as const) {
      const result = await runExercise(findExercise(id), solution);
      assert.equal(result.earned, result.max, `${id}: ${JSON.stringify(result.tests.filter((t) => !t.passed))}`);
    }
  });

  it("a backward pass that asks tfjs autograd scores 0, with the reason", async () => {
    const autograd = (params: BatchNormMlpParams, forward: BatchNormMlpForward): Gradients => {
      const X = forward.contexts.arraySync() as number[][];
      const Y = forward.targets.arraySync() as number[];
      const names = BATCHNORM_MLP_PARAMETERS;
      const grads = tf.grads((...tensors: tf.Tensor[]) => {
        const copy = Object.fromEntries(names.map((name, i) => [name, tensors[i]])) as unknown as BatchNormMlpParams;
        return batchNormMlpForward(copy, X, Y).loss;
      })(names.map((name) => params[name]));
      return Object.fromEntries(names.map((name, i) => [name, grads[i]])) as unknown as Gradients;
    };
    const exercise = findExercise("tp04.manual_backward");
    const result = await runExercise(exercise, autograd);
    assert.equal(result.earned, 0, JSON.stringify(result.tests));
    for (const test of result.tests) assert.match(test.message ?? "", /différentiation automatique de tfjs .* est désactivée/);
    // Without the off-limits list the forward pass is allowed, and the autograd guard alone still refuses it.
    assert.equal((await runExercise(withoutGuard(exercise), autograd)).earned, 0);
  });

  it("a BatchNorm that runs the library's forward pass scores 0 (and full marks without the guard)", async () => {
    const delegated = (x: tf.Tensor2D, layer: BatchNormLayer, training: boolean): tf.Tensor2D => {
      if (!training) return x.sub(layer.runningMean).div(layer.runningVar.add(layer.eps).sqrt()).mul(layer.gain).add(layer.bias);
      const [n, H] = x.shape;
      // The rows of x as an embedding table read once each, an identity W1: hpreact is the BatchNorm of x.
      const forward = batchNormMlpForward(
        { C: x, W1: tf.eye(H) as tf.Tensor2D, b1: tf.zeros([H]), bnGain: layer.gain, bnBias: layer.bias, W2: tf.zeros([H, n]), b2: tf.zeros([n]) },
        Array.from({ length: n }, (_, i) => [i]),
        new Array<number>(n).fill(0),
        { eps: layer.eps },
      );
      layer.runningMean.assign(layer.runningMean.mul(1 - layer.momentum).add(forward.bnMean.mul(layer.momentum)));
      layer.runningVar.assign(layer.runningVar.mul(1 - layer.momentum).add(forward.bnVar.mul(layer.momentum)));
      return forward.hpreact;
    };
    const exercise = findExercise("tp04.batchnorm");
    const unguarded = await runExercise(withoutGuard(exercise), delegated);
    assert.equal(unguarded.earned, unguarded.max, JSON.stringify(unguarded.tests.filter((t) => !t.passed)));
    const guarded = await runExercise(exercise, delegated);
    assert.equal(guarded.earned, 0);
    assert.match(guarded.reason ?? "", /pas à déléguer à batchNormMlpForward/);
  });
});
