import assert from "node:assert/strict";
import { before, test } from "node:test";
import type * as tfType from "@tensorflow/tfjs";
import { embeddingLookup, initBackend } from "@llm-course/lib/backend";

let tf: typeof tfType;
before(async () => {
  tf = await initBackend({ quiet: true, backend: "wasm" });
});

const TABLE = [
  [1, 2],
  [3, 4],
  [5, 6],
];

test("wasm really lacks the gradient of tf.gather (why embeddingLookup exists)", () => {
  assert.equal(tf.getBackend(), "wasm");
  const table = tf.tensor2d(TABLE);
  const grad = tf.grad((t: tfType.Tensor) => tf.gather(t, tf.tensor1d([0, 2], "int32")).sum());
  assert.throws(() => grad(table), /UnsortedSegmentSum/);
});

test("forward: the rows of the table, shape = ids' shape + [dim]", async () => {
  const table = tf.tensor2d(TABLE);
  const out = embeddingLookup(table, [[2, 0], [1, 1]]);
  assert.deepEqual(out.shape, [2, 2, 2]);
  assert.deepEqual(await out.array(), [[[5, 6], [1, 2]], [[3, 4], [3, 4]]]);
  const fromTensor = embeddingLookup(table, tf.tensor1d([1], "int32"));
  assert.deepEqual(await fromTensor.array(), [[3, 4]]);
});

test("gradient equals the analytic one, repeated ids summed", async () => {
  // L = Σ_{b,t,d} W[b,t,d] · table[ids[b,t], d]  ⇒  ∂L/∂table[v] = Σ_{(b,t): ids[b,t] = v} W[b,t].
  const ids = [
    [0, 2, 2],
    [1, 0, 2],
  ];
  const W = [
    [[1, -1], [0.5, 2], [3, 0]],
    [[-2, 1], [4, 4], [0.25, -0.5]],
  ];
  const expected = [
    [1 + 4, -1 + 4], // id 0 at (0,0) and (1,1)
    [-2, 1], // id 1 at (1,0)
    [0.5 + 3 + 0.25, 2 + 0 - 0.5], // id 2 at (0,1), (0,2), (1,2)
  ];
  const table = tf.variable(tf.tensor2d(TABLE));
  const weights = tf.tensor3d(W);
  const { value, grads } = tf.variableGrads(() => embeddingLookup(table, ids).mul(weights).sum() as tfType.Scalar, [table]);
  assert.deepEqual(await grads[table.name].array(), expected);
  // The loss itself, by hand: (1-2) + (2.5+12) + 15 + (-6+4) + (4+8) + (1.25-3) = 36.75
  assert.equal(await value.array(), 36.75);
  table.dispose();
});

test("an embedding table trains on wasm: one SGD step moves only the looked-up rows", async () => {
  const table = tf.variable(tf.tensor2d(TABLE));
  const optimizer = tf.train.sgd(0.1);
  optimizer.minimize(() => embeddingLookup(table, [0, 0]).sum() as tfType.Scalar, false, [table]);
  const after = (await table.array()) as number[][];
  assert.deepEqual(after[1], [3, 4]);
  assert.deepEqual(after[2], [5, 6]);
  assert.ok(Math.abs(after[0][0] - 0.8) < 1e-6 && Math.abs(after[0][1] - 1.8) < 1e-6, `row 0 = ${after[0]}`);
  table.dispose();
});

test("bad input gets errors that name the problem", () => {
  const table = tf.tensor2d(TABLE);
  assert.throws(() => embeddingLookup(table, [0, 3]), /ids\[1\] = 3 is outside the table's 3 rows \(0…2\)/);
  assert.throws(() => embeddingLookup(table, [0.5]), /ids\[0\] must be an integer/);
  assert.throws(() => embeddingLookup(table, tf.tensor1d([0, 1])), /ids must be an int32 tensor, got float32/);
  assert.throws(() => embeddingLookup(tf.tensor1d([1, 2]), [0]), /table must be 2-D/);
  assert.throws(() => embeddingLookup([[1]] as never, [0]), /table must be a tf.Tensor/);
});
