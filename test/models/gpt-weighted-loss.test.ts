import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { weightedRowsDataset } from "@llm-course/lib/data";
import { GPT, GptTrainingRunner } from "@llm-course/lib/models/gpt";
import { Random } from "@llm-course/lib/random";
import { assertSameLossAndGradients } from "./gradient-check";

before(async () => {
  await initBackend({ quiet: true });
});

const options = { vocabSize: 11, blockSize: 8, layers: 2, heads: 2, width: 16, seed: 3, trainingEngine: "tfjs" } as const;
const batch = 3;
const length = 6;

function minibatch(seed: number) {
  const rng = new Random(seed);
  const inputs = Int32Array.from({ length: batch * length }, () => rng.int(options.vocabSize));
  const targets = Int32Array.from({ length: batch * length }, () => rng.int(options.vocabSize));
  // A loss mask as supervised fine-tuning makes: zeros (prompt, padding), ones, and one weight of 2.
  const weights = Float32Array.from({ length: batch * length }, (_, i) => (i % 4 === 0 ? 0 : i % 7 === 0 ? 2 : 1));
  return { inputs, targets, weights };
}

test("weighted training graph = tfjs autograd of −Σ w·log p / Σ w: loss and every gradient", async () => {
  const model = new GPT(options);
  const { inputs, targets, weights } = minibatch(1);
  const named = model.namedParameters();
  const shape: [number, number] = [batch, length];
  const { value, grads } = tf.variableGrads(
    () => model.loss(tf.tensor2d(inputs, shape, "int32"), tf.tensor2d(targets, shape, "int32"), tf.tensor2d(weights, shape, "float32")),
    named.map(([, v]) => v),
  );
  // The same loss by hand from the logits.
  const logits = model.forward(tf.tensor2d(inputs, shape, "int32"));
  const logProbabilities = tf.logSoftmax(logits).arraySync() as number[][][];
  let numerator = 0;
  let denominator = 0;
  for (let i = 0; i < batch * length; i++) {
    numerator -= weights[i]! * logProbabilities[Math.floor(i / length)]![i % length]![targets[i]!]!;
    denominator += weights[i]!;
  }
  assert.ok(Math.abs(value.dataSync()[0]! - numerator / denominator) < 1e-5, `tfjs loss ${value.dataSync()[0]} vs by hand ${numerator / denominator}`);

  const runner = new GptTrainingRunner(model.config, 1);
  const values = new Map(named.map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
  const compiled = await runner.lossAndGradients(values, inputs, targets, batch, length, weights);
  assertSameLossAndGradients(named, { loss: value.dataSync()[0]!, grads }, compiled);
  tf.dispose([value, logits, ...Object.values(grads)]);
  await runner.dispose();
  model.dispose();
});

test("weights all 1 give the unweighted loss and gradients (both engines)", async () => {
  const model = new GPT(options);
  const { inputs, targets } = minibatch(2);
  const ones = new Float32Array(batch * length).fill(1);
  const shape: [number, number] = [batch, length];
  const plain = model.loss(tf.tensor2d(inputs, shape, "int32"), tf.tensor2d(targets, shape, "int32"));
  const weighted = model.loss(tf.tensor2d(inputs, shape, "int32"), tf.tensor2d(targets, shape, "int32"), tf.tensor2d(ones, shape, "float32"));
  assert.ok(Math.abs(plain.dataSync()[0]! - weighted.dataSync()[0]!) < 1e-6);
  const runner = new GptTrainingRunner(model.config, 1);
  const values = new Map(model.namedParameters().map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
  const a = await runner.lossAndGradients(values, inputs, targets, batch, length);
  const b = await runner.lossAndGradients(values, inputs, targets, batch, length, ones);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-6, `${a.loss} vs ${b.loss}`);
  assert.ok(Math.abs(a.loss - plain.dataSync()[0]!) < 1e-5);
  for (const [name, gradient] of a.gradients) {
    const other = b.gradients.get(name)!;
    gradient.forEach((g, i) => assert.ok(Math.abs(g - other[i]!) < 1e-6, `${name}[${i}]`));
  }
  tf.dispose([plain, weighted]);
  await runner.dispose();
  model.dispose();
});

test("a model trains on weighted rows with either engine, to the same losses; bad weights are refused", async () => {
  const rng = new Random(4);
  const rows = Array.from({ length: 12 }, () => Array.from({ length: 9 }, (_, t) => (t < 4 ? rng.int(12) : (t * 3) % 12)));
  const weights = rows.map(() => Array.from({ length: 8 }, (_, t) => (t >= 3 ? 1 : 0)));
  const data = weightedRowsDataset(rows, weights, 8);
  const batches = Array.from({ length: 15 }, () => Int32Array.from({ length: 4 }, () => rng.int(data.size)));
  const runs: number[][] = [];
  for (const trainingEngine of ["onnxruntime", "tfjs"] as const) {
    const model = new GPT({ vocabSize: 12, blockSize: 8, layers: 1, heads: 2, width: 16, trainingEngine });
    const run: number[] = [];
    for (const indices of batches) run.push(await model.trainStep(data, indices, 1e-2));
    run.push(model.evaluate(data));
    runs.push(run);
    model.dispose();
  }
  const [onnx, tfjs] = runs as [number[], number[]];
  assert.ok(onnx[onnx.length - 1]! < onnx[0]! - 0.3, `the model learns the masked targets: ${onnx[0]} → ${onnx[onnx.length - 1]}`);
  onnx.forEach((loss, i) => assert.ok(Math.abs(loss - tfjs[i]!) < 1e-4, `step ${i}: onnxruntime ${loss} vs tfjs ${tfjs[i]}`));

  const zero = weightedRowsDataset(rows.slice(0, 2), [new Array(8).fill(0), new Array(8).fill(0)], 8);
  const model = new GPT({ vocabSize: 12, blockSize: 8, layers: 1, heads: 2, width: 16, trainingEngine: "onnxruntime" });
  await assert.rejects(model.trainStep(zero, Int32Array.from([0, 1]), 1e-2), /every loss weight of the minibatch is 0/);
  assert.throws(() => weightedRowsDataset([[1, 2]], [[1]], 8), /row 0 has 2 ids, not blockSize \+ 1 = 9/);
  model.dispose();
});
