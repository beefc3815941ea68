import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { GRUCell, LSTMCell, RNNCell, runSequence } from "@llm-course/lib/models/rnn";

before(async () => {
  await initBackend({ quiet: true });
});

function close(actual: ArrayLike<number>, expected: number[], message: string, tolerance = 1e-5): void {
  assert.equal(actual.length, expected.length, `${message}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) < tolerance, `${message}[${i}]: ${actual[i]} ≠ ${expected[i]}`);
  }
}

// h_t = tanh(W_hx x_t + W_hh h_{t−1} + b) with
//   W_hx = [[0.5, −1], [1, 0.25]], W_hh = [[1, 0], [0.5, −0.5]], b = [0.1, −0.2].
// t = 1, x = [1, 2], h_0 = 0:  W_hx x = [0.5 − 2, 1 + 0.5] = [−1.5, 1.5];  + b → [−1.4, 1.3]
//   h_1 = [tanh(−1.4), tanh(1.3)] = [−0.885352, 0.861723]
// t = 2, x = [0, 1]:  W_hx x = [−1, 0.25];  W_hh h_1 = [−0.885352, 0.5·(−0.885352) − 0.5·0.861723] = [−0.885352, −0.873538]
//   pre = [−1 − 0.885352 + 0.1, 0.25 − 0.873538 − 0.2] = [−1.785352, −0.823538];  h_2 = [−0.945268, −0.676991]
const RNN_WEIGHTS = { Whx: [[0.5, -1], [1, 0.25]], Whh: [[1, 0], [0.5, -0.5]], b: [0.1, -0.2] };

test("RNN cell: two steps of the 2-d hand-computed example", () => {
  const cell = RNNCell.fromWeights(RNN_WEIGHTS);
  assert.equal(cell.inputSize, 2);
  assert.equal(cell.hiddenSize, 2);
  const h1 = cell.step(tf.tensor2d([[1, 2]]), cell.initialState(1));
  close(h1.h.dataSync(), [-0.885352, 0.861723], "h1");
  const h2 = cell.step(tf.tensor2d([[0, 1]]), h1);
  close(h2.h.dataSync(), [-0.945268, -0.676991], "h2");
  // runSequence does the same two steps over a [batch 1, time 2, input 2] tensor.
  const run = runSequence(cell, tf.tensor3d([[[1, 2], [0, 1]]]));
  close(run.outputs.dataSync(), [-0.885352, 0.861723, -0.945268, -0.676991], "outputs");
  close(run.final.h.dataSync(), [-0.945268, -0.676991], "final");
});

test("RNN cell: weights checked with named errors", () => {
  assert.throws(() => RNNCell.fromWeights({ Whx: [[1, 2]], Whh: [[1, 0], [0, 1]], b: [0, 0] }), /Whx must have 2 rows/);
  assert.throws(() => RNNCell.fromWeights({ Whx: [[1], [2]], Whh: [[1, 0]], b: [0, 0] }), /Whh must be square/);
  assert.throws(() => RNNCell.fromWeights({ Whx: [[1], [2]], Whh: [[1, 0], [0, 1]], b: [0] }), /b must be an array of 2 finite numbers/);
  assert.throws(() => new RNNCell({ inputSize: 0, hiddenSize: 2 }), /inputSize must be an integer ≥ 1/);
  const cell = new RNNCell({ inputSize: 3, hiddenSize: 4 });
  assert.throws(() => runSequence(cell, tf.zeros([1, 2, 5]) as tf.Tensor3D), /5 features per step but the cell expects 3/);
});

// LSTM, hidden 2, input 1, each W_g [2, 3] acting on [h_{t−1}; x_t] (columns h₁, h₂, x):
//   h_0 = [0.5, −0.5], C_0 = [1, −1], x = [2]
//   W_f = [[0.1, 0.2, 0.3], [0, −0.1, 0.5]], b_f = [0.1, 0]  → pre_f = [0.05 − 0.1 + 0.6 + 0.1, 0.05 + 1] = [0.65, 1.05]
//   W_i = [[0.5, 0, −0.5], [1, 1, 0]],       b_i = [0, 0.2]  → pre_i = [0.25 − 1, 0.5 − 0.5 + 0.2]   = [−0.75, 0.2]
//   W_C = [[0.3, −0.3, 1], [0.2, 0.4, −0.6]], b_C = 0        → pre_C = [0.15 + 0.15 + 2, 0.1 − 0.2 − 1.2] = [2.3, −1.3]
//   W_o = [[1, 0, 0.25], [0, −1, 0.5]],     b_o = [0, −0.5] → pre_o = [0.5 + 0.5, 0.5 + 1 − 0.5]   = [1, 1]
//   f = σ(pre_f) = [0.657010, 0.740775]   i = σ(pre_i) = [0.320821, 0.549834]
//   C̃ = tanh(pre_C) = [0.980096, −0.861723]   o = σ(1) = [0.731059, 0.731059]
//   C = f·C_0 + i·C̃ = [0.657010 + 0.314435, −0.740775 − 0.473805] = [0.971446, −1.214580]
//   h = o·tanh(C) = [0.731059 · 0.749342, 0.731059 · (−0.838049)] = [0.547811, −0.612662]
const LSTM_WEIGHTS = {
  Wf: [[0.1, 0.2, 0.3], [0, -0.1, 0.5]],
  Wi: [[0.5, 0, -0.5], [1, 1, 0]],
  Wc: [[0.3, -0.3, 1], [0.2, 0.4, -0.6]],
  Wo: [[1, 0, 0.25], [0, -1, 0.5]],
  bf: [0.1, 0],
  bi: [0, 0.2],
  bc: [0, 0],
  bo: [0, -0.5],
};

test("LSTM cell: every gate of the hand-computed example (the seeds' equations)", () => {
  const cell = LSTMCell.fromWeights(LSTM_WEIGHTS);
  assert.equal(cell.inputSize, 1);
  assert.equal(cell.hiddenSize, 2);
  const state = { h: tf.tensor2d([[0.5, -0.5]]), c: tf.tensor2d([[1, -1]]) };
  const g = cell.gates(tf.tensor2d([[2]]), state);
  close(g.f.dataSync(), [0.65701, 0.740775], "f");
  close(g.i.dataSync(), [0.320821, 0.549834], "i");
  close(g.cTilde.dataSync(), [0.980096, -0.861723], "C̃");
  close(g.o.dataSync(), [0.731059, 0.731059], "o");
  close(g.c.dataSync(), [0.971446, -1.21458], "C");
  close(g.h.dataSync(), [0.547811, -0.612662], "h");
  const next = cell.step(tf.tensor2d([[2]]), state);
  close(next.h.dataSync(), [0.547811, -0.612662], "step h");
  close(next.c!.dataSync(), [0.971446, -1.21458], "step C");
  assert.throws(() => cell.step(tf.tensor2d([[2]]), { h: state.h }), /no memory cell c/);
  assert.throws(() => LSTMCell.fromWeights({ ...LSTM_WEIGHTS, Wo: [[1, 0, 0.25]] }), /Wo must have 2 rows/);
  // A fresh cell starts remembering: forget-gate bias 1, others 0.
  const fresh = new LSTMCell({ inputSize: 1, hiddenSize: 2, seed: 3 });
  assert.deepEqual(Array.from(fresh.b.dataSync()), [1, 1, 0, 0, 0, 0, 0, 0]);
});

// GRU, hidden 2, input 1, same h_0 = [0.5, −0.5] and x = [2]:
//   W_z = [[0.5, −0.5, 1], [0, 1, −1]], b_z = [0, 0.5]    → pre_z = [0.25 + 0.25 + 2, −0.5 − 2 + 0.5] = [2.5, −2]
//   W_r = [[1, 0, 0.5], [−1, 0.5, 0]], b_r = [0.5, 0]     → pre_r = [0.5 + 1 + 0.5, −0.5 − 0.25]     = [2, −0.75]
//   z = σ(pre_z) = [0.924142, 0.119203]   r = σ(pre_r) = [0.880797, 0.320821]
//   r·h = [0.440399, −0.160411]
//   W = [[0.2, 0.4, −1], [1, −0.5, 0.5]], b = [0.1, 0]    → pre = [0.088080 − 0.064164 − 2 + 0.1, 0.440399 + 0.080205 + 1]
//                                                                = [−1.876085, 1.520604]
//   h̃ = tanh(pre) = [−0.954143, 0.908803]
//   h = (1 − z)·h_0 + z·h̃ = [0.075858·0.5 + 0.924142·(−0.954143), 0.880797·(−0.5) + 0.119203·0.908803] = [−0.843834, −0.332067]
const GRU_WEIGHTS = {
  Wz: [[0.5, -0.5, 1], [0, 1, -1]],
  Wr: [[1, 0, 0.5], [-1, 0.5, 0]],
  W: [[0.2, 0.4, -1], [1, -0.5, 0.5]],
  bz: [0, 0.5],
  br: [0.5, 0],
  b: [0.1, 0],
};

test("GRU cell: every gate of the hand-computed example (the seeds' equations, h = (1 − z)h + z h̃)", () => {
  const cell = GRUCell.fromWeights(GRU_WEIGHTS);
  const state = { h: tf.tensor2d([[0.5, -0.5]]) };
  const g = cell.gates(tf.tensor2d([[2]]), state);
  close(g.z.dataSync(), [0.924142, 0.119203], "z");
  close(g.r.dataSync(), [0.880797, 0.320821], "r");
  close(g.hTilde.dataSync(), [-0.954143, 0.908803], "h̃");
  close(g.h.dataSync(), [-0.843834, -0.332067], "h");
  close(cell.step(tf.tensor2d([[2]]), state).h.dataSync(), [-0.843834, -0.332067], "step");
  assert.throws(() => GRUCell.fromWeights({ ...GRU_WEIGHTS, Wz: [[1, 2], [3, 4]] }), /\[hidden, hidden \+ input\]/);
});

test("runSequence: a masked (padded) step leaves the state unchanged, for LSTM states too", () => {
  const cell = LSTMCell.fromWeights(LSTM_WEIGHTS);
  const inputs = tf.tensor3d([[[2], [1], [-3]], [[2], [7], [9]]]);
  // Row 0 is 3 real steps; row 1 is 1 real step and 2 padded ones (whatever their values).
  const mask = tf.tensor2d([[1, 1, 1], [1, 0, 0]]);
  const run = runSequence(cell, inputs, { mask });
  const one = cell.step(tf.tensor2d([[2]]), cell.initialState(1));
  close(run.final.h.dataSync().slice(2, 4), Array.from(one.h.dataSync()), "row 1 final h = after its one real step");
  close(run.final.c!.dataSync().slice(2, 4), Array.from(one.c!.dataSync()), "row 1 final C");
  const alone = runSequence(cell, tf.tensor3d([[[2], [1], [-3]]]));
  close(run.final.h.dataSync().slice(0, 2), Array.from(alone.final.h.dataSync()), "row 0 unaffected by row 1");
  assert.throws(() => runSequence(cell, inputs, { mask: tf.ones([2, 2]) as tf.Tensor2D }), /mask must be \[2, 3\]/);
});

test("cells: autograd gives the same gradient as finite differences (GRU)", () => {
  const cell = GRUCell.fromWeights(GRU_WEIGHTS);
  const x = tf.tensor3d([[[2], [-1], [0.5]]]);
  const loss = () => tf.sum(tf.square(runSequence(cell, x).outputs)) as tf.Scalar;
  const { grads } = tf.variableGrads(loss, [cell.Whh]);
  const analytic = grads[cell.Whh.name]!.dataSync();
  const base = cell.Whh.arraySync() as number[][];
  const eps = 1e-2;
  for (const [i, j] of [[0, 0], [1, 0], [0, 1]] as const) {
    const shifted = (delta: number) => {
      const w = base.map((row) => row.slice());
      w[i]![j]! += delta;
      cell.Whh.assign(tf.tensor2d(w));
      return loss().dataSync()[0]!;
    };
    const numeric = (shifted(eps) - shifted(-eps)) / (2 * eps);
    cell.Whh.assign(tf.tensor2d(base));
    assert.ok(Math.abs(numeric - analytic[i * 2 + j]!) < 2e-3, `dL/dWhh[${i}][${j}]: autograd ${analytic[i * 2 + j]} vs finite differences ${numeric}`);
  }
});
