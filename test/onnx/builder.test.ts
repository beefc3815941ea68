import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder } from "@llm-course/lib/onnx/builder";
import { attentionMask, geluErf, geluTanh, layerNorm, mergeHeads, splitHeads } from "@llm-course/lib/onnx/layers";
import { decodeModel, float } from "@llm-course/lib/onnx/proto";
import { createSession, runSession } from "@llm-course/lib/onnx/runtime";
import { tensorProto, tensorValues } from "@llm-course/lib/onnx/tensor";

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tolerance, `${what}[${i}]: ${actual[i]} vs ${expected[i]}`);
  }
}

test("y = softmax(x·W + b): onnxruntime-node gives the hand-computed numbers", async () => {
  const g = new GraphBuilder("linear-softmax");
  const x = g.input("x", "float32", ["batch", 3]);
  const w = g.initializer("W", new Float32Array([1, 0, 0, 1, 1, -1]), [3, 2]);
  const b = g.initializer("b", new Float32Array([0.5, -0.5]), [2]);
  const logits = g.add(g.matMul(x, w), b, "logits");
  g.softmax(logits, -1, "y");
  g.output("logits", "float32", ["batch", 2]);
  g.output("y", "float32", ["batch", 2]);
  const bytes = g.toBytes();
  const decoded = decodeModel(bytes);
  assert.equal(Number(decoded.opsetImport[0]!.version), 17);
  assert.deepEqual((decoded.graph?.node ?? []).map((n) => n.opType ?? ""), ["MatMul", "Add", "Softmax"]);

  const session = await createSession(bytes);
  assert.deepEqual(session.inputNames, ["x"]);
  assert.deepEqual(session.outputNames, ["logits", "y"]);
  const out = await runSession(session, { x: { type: "float32", data: [1, 2, 3, 0, 0, 0], dims: [2, 3] } });
  // Row 1: [1 + 3 + 0.5, 2 − 3 − 0.5] = [4.5, −1.5]; row 2: the bias alone.
  assertClose(out.logits!.data as Float32Array, [4.5, -1.5, 0.5, -0.5], 1e-6, "logits");
  const e = Math.exp(6);
  assertClose(out.y!.data as Float32Array, [e / (e + 1), 1 / (e + 1), Math.exp(1) / (Math.exp(1) + 1), 1 / (Math.exp(1) + 1)], 1e-6, "softmax");
  assert.deepEqual(out.y!.dims, [2, 2]);
});

test("tensors round-trip through TensorProto; bad shapes and names fail clearly", () => {
  const cases = [new Float32Array([1.5, -2]), new Int8Array([-128, 127]), new Uint8Array([0, 255]), new Int32Array([-7, 7]), new BigInt64Array([-1n, 2n ** 40n])];
  for (const data of cases) {
    const back = tensorValues(tensorProto("t", data, [2, 1]));
    assert.deepEqual([...back.data], [...data]);
    assert.deepEqual(back.dims, [2, 1]);
  }
  assert.equal(tensorValues(tensorProto("b", new Uint8Array([1, 0]), [2], "bool")).type, "bool");
  assert.throws(() => tensorProto("t", new Float32Array(3), [2, 2]), /3 values do not fill shape \[2, 2\]/);
  assert.throws(() => tensorProto("t", new Float32Array(2), [2], "int8"), /a float32 array cannot hold int8 values/);
  const g = new GraphBuilder("bad");
  const x = g.input("x", "float32", [2]);
  assert.throws(() => g.add(x, "nowhere"), /Add input 1 "nowhere" is not defined yet/);
  assert.throws(() => g.input("x", "float32", [2]), /input "x" is already defined/);
  assert.throws(() => g.output("y", "float32", [2]), /output "y" is not produced by any node/);
  assert.throws(() => g.op("LayerNormalization", [x, x, x], { epsilon: 1e-5 }), /not an integer; wrap floats in float/);
  assert.throws(() => g.input("z", "float32", [-1]), /dims\[0\] = -1 must be a size/);
  assert.throws(() => g.graph(), /declare at least one output/);
});

function layerNormJs(row: number[], gamma: number[], beta: number[], eps: number): number[] {
  const mean = row.reduce((a, b) => a + b, 0) / row.length;
  const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
  return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * gamma[i]! + beta[i]!);
}

function erf(x: number): number {
  // Abramowitz–Stegun 7.1.26 is only 1e-7 accurate; a series is exact enough for |x| < 3.
  let sum = 0;
  let term = x;
  for (let n = 0; n < 60; n++) {
    sum += term / (2 * n + 1);
    term *= (-x * x) / (n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

test("LayerNormalization, the two GELUs, Gather/Reshape/Transpose/Concat against plain JS", async () => {
  const g = new GraphBuilder("pieces");
  const ids = g.input("ids", "int64", ["batch", "T"]);
  const table = new Float32Array([0.1, -0.2, 0.3, 0.4, 1, 2, -1, 0.5, -1.5, 0.25, 0, 3]); // 3 rows of 4
  const rows = g.gather(g.initializer("table", table, [3, 4]), ids); // [batch, T, 4]
  const gamma = new Float32Array([1, 2, 0.5, -1]);
  const beta = new Float32Array([0, 0.1, -0.1, 1]);
  layerNorm(g, rows, { gamma, beta, epsilon: 1e-5 }, "ln", "normed");
  geluTanh(g, rows, "gelu_tanh");
  geluErf(g, rows, "gelu_erf");
  // Two heads of 2: split then merge is the identity; the split itself is [batch, 2, T, 2].
  const heads = splitHeads(g, rows, 2, 2);
  g.op("Identity", [heads], {}, "heads");
  mergeHeads(g, heads, 4, "merged");
  g.concat([rows, rows], 1, "doubled");
  g.op("Identity", [g.shape(rows, 1, 2)], {}, "length");
  for (const [name, dims] of [["normed", ["batch", "T", 4]], ["gelu_tanh", ["batch", "T", 4]], ["gelu_erf", ["batch", "T", 4]], ["heads", ["batch", 2, "T", 2]], ["merged", ["batch", "T", 4]], ["doubled", ["batch", "T2", 4]]] as const) {
    g.output(name, "float32", dims);
  }
  g.output("length", "int64", [1]);
  const session = await createSession(g.toBytes());
  const out = await runSession(session, { ids: { type: "int64", data: [2, 0, 1], dims: [1, 3] } });
  const picked = [2, 0, 1].flatMap((r) => [...table.slice(r * 4, r * 4 + 4)]);
  const expectedNorm = [0, 1, 2].flatMap((t) => layerNormJs(picked.slice(t * 4, t * 4 + 4), [...gamma], [...beta], 1e-5));
  assertClose(out.normed!.data as Float32Array, expectedNorm, 1e-5, "LayerNorm");
  const c = Math.sqrt(2 / Math.PI);
  assertClose(out.gelu_tanh!.data as Float32Array, picked.map((x) => 0.5 * x * (1 + Math.tanh(c * (x + 0.044715 * x ** 3)))), 1e-6, "GELU tanh");
  assertClose(out.gelu_erf!.data as Float32Array, picked.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))), 1e-6, "GELU erf");
  assert.deepEqual(out.heads!.dims, [1, 2, 3, 2]);
  // Head 1 of token t holds features 2, 3 of that token.
  assertClose(out.heads!.data as Float32Array, [0, 1, 2].flatMap((t) => picked.slice(t * 4, t * 4 + 2)).concat([0, 1, 2].flatMap((t) => picked.slice(t * 4 + 2, t * 4 + 4))), 0, "split heads");
  assertClose(out.merged!.data as Float32Array, picked, 0, "merge heads");
  assert.deepEqual(out.doubled!.dims, [1, 6, 4]);
  assert.deepEqual([...(out.length!.data as BigInt64Array)], [3n]);
});

test("attention mask from shapes: causal after a cache of 2, with left padding", async () => {
  const g = new GraphBuilder("mask");
  const past = g.input("past", "float32", ["batch", "past_length"]);
  const x = g.input("x", "float32", ["batch", "T"]);
  const am = g.input("attention_mask", "int64", ["batch", "total"]);
  const pastLength = g.gather(g.shape(past), g.ints([1], true));
  const queryLength = g.gather(g.shape(x), g.ints([1], true));
  g.op("Identity", [attentionMask(g, { pastLength, queryLength, attentionMask: am, causal: true })], {}, "mask");
  g.op("Identity", [attentionMask(g, { pastLength, queryLength, attentionMask: null, causal: true })], {}, "causal");
  g.output("mask", "float32", ["batch", 1, "T", "total"]);
  g.output("causal", "float32", [1, 1, "T", "total"]);
  const session = await createSession(g.toBytes());
  const out = await runSession(session, {
    past: { type: "float32", data: [0, 0, 0, 0], dims: [2, 2] },
    x: { type: "float32", data: [0, 0, 0, 0], dims: [2, 2] },
    attention_mask: { type: "int64", data: [1, 1, 1, 1, 0, 1, 1, 1], dims: [2, 4] },
  });
  const H = -1e9;
  assert.deepEqual(out.causal!.dims, [1, 1, 2, 4]);
  assert.deepEqual([...(out.causal!.data as Float32Array)], [0, 0, 0, H, 0, 0, 0, 0]);
  assert.deepEqual(out.mask!.dims, [2, 1, 2, 4]);
  assert.deepEqual([...(out.mask!.data as Float32Array)], [0, 0, 0, H, 0, 0, 0, 0, H, 0, 0, H, H, 0, 0, 0]);
  // Float attributes must be marked.
  assert.doesNotThrow(() => g.op("LayerNormalization", [x, x, x], { epsilon: float(1e-5) }));
});
