import assert from "node:assert/strict";
import { test } from "node:test";
import { GraphBuilder } from "@llm-course/lib/onnx/builder";
import { encodeModel } from "@llm-course/lib/onnx/proto";
import { quantizeModelQ8, quantizeSymmetricInt8 } from "@llm-course/lib/onnx/quantize";
import { createSession, runSession } from "@llm-course/lib/onnx/runtime";
import { Random } from "@llm-course/lib/random";

function normals(n: number, std: number, rng: Random): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal() * std);
}

test("symmetric per-channel int8: hand example", () => {
  // Columns of [[1, −0.5], [−2, 0.25]]: max |w| 2 and 0.5 → scales 2/127 and 0.5/127.
  const { q, scales, maxError } = quantizeSymmetricInt8(new Float32Array([1, -0.5, -2, 0.25]), 2, 2, "columns");
  assert.deepEqual([...q], [64, -127, -127, 64]); // 1/(2/127) = 63.5 → 64; 0.25/(0.5/127) = 63.5 → 64
  assert.ok(Math.abs(scales[0]! - 2 / 127) < 1e-8 && Math.abs(scales[1]! - 0.5 / 127) < 1e-8);
  assert.ok(maxError <= (2 / 127) / 2 + 1e-7);
  const rows = quantizeSymmetricInt8(new Float32Array([0, 0, 3, -3]), 2, 2, "rows");
  assert.deepEqual([...rows.q], [0, 0, 127, -127]);
  assert.equal(rows.scales[0], 1); // an all-zero channel: scale 1, not 0/127
  assert.throws(() => quantizeSymmetricInt8(new Float32Array([NaN]), 1, 1, "rows"), /value 0 is NaN/);
});

/** Embedding lookup, two linear layers sharing an input, and a tied output head: every pattern the quantizer rewrites. */
function tinyLm(vocab: number, width: number, rng: Random) {
  const g = new GraphBuilder("tiny-lm");
  const ids = g.input("ids", "int64", ["batch", "T"]);
  const table = g.initializer("embedding", normals(vocab * width, 1, rng), [vocab, width]);
  const x = g.gather(table, ids);
  const w1 = g.initializer("w1", normals(width * width, 1 / Math.sqrt(width), rng), [width, width]);
  const w2 = g.initializer("w2", normals(width * width, 1 / Math.sqrt(width), rng), [width, width]);
  const b = g.initializer("b", normals(width, 0.1, rng), [width]);
  const h = g.op("Tanh", [g.add(g.add(g.matMul(x, w1), g.matMul(x, w2)), b)]);
  g.matMul(h, g.transpose(table, [1, 0]), "logits");
  g.output("logits", "float32", ["batch", "T", vocab]);
  return g.model();
}

test("q8 tiny LM: MatMulInteger + int8 Gather run in onnxruntime-node, close to float32, ≥ 3× smaller", async () => {
  const vocab = 64;
  const width = 64;
  const model = tinyLm(vocab, width, new Random(3));
  const { model: q8, report } = quantizeModelQ8(model);
  assert.deepEqual(report.quantized.map((w) => [w.name, w.channels]).sort(), [["embedding", "rows"], ["w1", "columns"], ["w2", "columns"]]);
  assert.deepEqual(report.keptFloat.map((k) => k.name), ["b"]);
  assert.equal(report.matMuls, 3); // x·W1, x·W2 and the tied head
  assert.equal(report.gathers, 1);
  const ops = (q8.graph?.node ?? []).map((n) => n.opType ?? "");
  assert.equal(ops.filter((op) => op === "DynamicQuantizeLinear").length, 2, "x is quantized once for W1 and W2, h once for the head");
  assert.equal(ops.filter((op) => op === "MatMulInteger").length, 3);
  assert.ok(!ops.includes("MatMul"));

  const fp32Bytes = encodeModel(model);
  const q8Bytes = encodeModel(q8);
  const ratio = fp32Bytes.length / q8Bytes.length;
  // The weights shrink 4× less one float scale per channel; node names cost a few kB in a model this small.
  assert.ok(ratio >= 3, `file size ratio ${ratio.toFixed(2)} (${fp32Bytes.length} → ${q8Bytes.length} bytes)`);
  const weightRatio = report.initializerBytesBefore / report.initializerBytesAfter;
  assert.ok(weightRatio >= 3.6, `initializer ratio ${weightRatio.toFixed(2)}`);

  const ids = Array.from({ length: 2 * 12 }, (_, i) => (i * 7 + 3) % vocab);
  const feeds = { ids: { type: "int64" as const, data: ids, dims: [2, 12] } };
  const [p32, p8] = await Promise.all([createSession(fp32Bytes), createSession(q8Bytes)]).then(([a, b]) => Promise.all([runSession(a, feeds), runSession(b, feeds)]));
  const a = p32.logits!.data as Float32Array;
  const c = p8.logits!.data as Float32Array;
  const logSoftmax = (logits: Float32Array, row: number, v: number) => {
    const slice = logits.subarray(row * vocab, (row + 1) * vocab);
    const max = Math.max(...slice);
    return slice[v]! - max - Math.log(slice.reduce((sum, l) => sum + Math.exp(l - max), 0));
  };
  let maxDiff = 0;
  let maxAbs = 0;
  let nllA = 0;
  let nllC = 0;
  let agree = 0;
  for (let row = 0; row < 24; row++) {
    const target = ids[(row + 1) % 24]!;
    nllA -= logSoftmax(a, row, target);
    nllC -= logSoftmax(c, row, target);
    let bestA = 0;
    let bestC = 0;
    for (let v = 0; v < vocab; v++) {
      maxDiff = Math.max(maxDiff, Math.abs(a[row * vocab + v]! - c[row * vocab + v]!));
      maxAbs = Math.max(maxAbs, Math.abs(a[row * vocab + v]!));
      if (a[row * vocab + v]! > a[row * vocab + bestA]!) bestA = v;
      if (c[row * vocab + v]! > c[row * vocab + bestC]!) bestC = v;
    }
    if (bestA === bestC) agree++;
  }
  console.log(`tiny LM q8: ${fp32Bytes.length} → ${q8Bytes.length} B (${ratio.toFixed(2)}×, weights ${weightRatio.toFixed(2)}×), max |Δlogit| ${maxDiff.toFixed(4)} of ${maxAbs.toFixed(2)}, argmax ${agree}/24, NLL ${nllA.toFixed(3)} → ${nllC.toFixed(3)}`);
  // 8-bit activations with one scale per tensor: errors of about 1 % of the activations' range.
  assert.ok(maxDiff < 0.03 * maxAbs, `max |Δlogit| = ${maxDiff} for logits up to ${maxAbs}`);
  assert.ok(agree >= 22, `argmax agrees on ${agree}/24 rows`);
  assert.ok(Math.abs(nllC - nllA) / nllA < 0.05, `NLL ${nllA} vs ${nllC}`);
});

test("weights the rewrite cannot handle stay float32, with the reason", () => {
  const g = new GraphBuilder("odd");
  const x = g.input("x", "float32", [2, 2]);
  const w = g.initializer("w", new Float32Array([1, 2, 3, 4]), [2, 2]);
  const y = g.add(g.matMul(x, w), w); // also added as a plain tensor
  const v = g.initializer("v", new Float32Array([1, 2, 3, 4]), [2, 2]);
  g.matMul(v, x, "z"); // a constant on the left
  g.output(y, "float32", [2, 2]);
  g.output("z", "float32", [2, 2]);
  const { report } = quantizeModelQ8(g.model());
  assert.deepEqual(report.quantized, []);
  assert.deepEqual(report.keptFloat.map((k) => [k.name, k.reason]), [["w", "read by Add (input 1)"], ["v", "read by MatMul (input 0)"]]);
  assert.throws(() => quantizeModelQ8({}), /the model has no graph/);
});
