import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { tokenStreamDataset } from "@llm-course/lib/data";
import { buildGptTrainingGraph, GPT, GptTrainingRunner, type GptOptions } from "@llm-course/lib/models/gpt";
import { Random } from "@llm-course/lib/random";
import { assertSameLossAndGradients } from "./gradient-check";

before(async () => {
  await initBackend({ quiet: true });
});

const variants: { label: string; options: GptOptions; batch: number; length: number }[] = [
  { label: "learned positions, tied head, full context", options: { vocabSize: 11, blockSize: 8, layers: 2, heads: 2, width: 16 }, batch: 3, length: 8 },
  { label: "learned positions, windows shorter than the context", options: { vocabSize: 11, blockSize: 8, layers: 1, heads: 4, width: 16 }, batch: 2, length: 5 },
  { label: "sinusoidal positions, untied head", options: { vocabSize: 9, blockSize: 8, layers: 2, heads: 2, width: 8, positions: "sinusoidal", tiedEmbeddings: false }, batch: 4, length: 6 },
  { label: "smeared keys, windows shorter than the context", options: { vocabSize: 11, blockSize: 8, layers: 2, heads: 2, width: 16, smearKeys: true }, batch: 3, length: 6 },
];

for (const { label, options, batch, length } of variants) {
  test(`compiled training graph = tfjs autograd: loss and every gradient (${label})`, async () => {
    const model = new GPT({ ...options, seed: 3, trainingEngine: "tfjs" });
    const rng = new Random(1);
    const V = options.vocabSize;
    const inputs = Int32Array.from({ length: batch * length }, () => rng.int(V));
    const targets = Int32Array.from({ length: batch * length }, () => rng.int(V));
    const named = model.namedParameters();
    // Smearing values away from their initial 0, a different one per head.
    for (const [name, variable] of named) if (name.endsWith(".smear")) variable.assign(tf.tensor1d(Array.from({ length: variable.size }, () => 2 * rng.next() - 1)));
    const { value, grads } = tf.variableGrads(() => model.loss(tf.tensor2d(inputs, [batch, length], "int32"), tf.tensor2d(targets, [batch, length], "int32")), named.map(([, v]) => v));
    const runner = new GptTrainingRunner(model.config, 1);
    const values = new Map(named.map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
    const compiled = await runner.lossAndGradients(values, inputs, targets, batch, length);
    assertSameLossAndGradients(named, { loss: value.dataSync()[0]!, grads }, compiled);
    tf.dispose([value, ...Object.values(grads)]);
    model.dispose();
  });
}

test("the graph's parameters are the model's, in the same order and shapes", () => {
  for (const { options } of variants) {
    const model = new GPT({ ...options, trainingEngine: "tfjs" });
    const graph = buildGptTrainingGraph(model.config, 2, 4);
    assert.deepEqual(graph.parameters, model.namedParameters().map(([name, v]) => ({ name, dims: v.shape })));
    model.dispose();
  }
});

test("training with onnxruntime follows the tfjs run step by step", async () => {
  const rng = new Random(5);
  // A text with rules to learn: runs of ascending ids from random starts.
  const data = tokenStreamDataset(Array.from({ length: 400 }, (_, i) => (i % 5 === 0 ? rng.int(12) : (7 * Math.floor(i / 5) + (i % 5)) % 12)), 8);
  const batches = Array.from({ length: 20 }, () => Int32Array.from({ length: 6 }, () => rng.int(data.size)));
  const losses: number[][] = [];
  for (const trainingEngine of ["onnxruntime", "tfjs"] as const) {
    const model = new GPT({ vocabSize: 12, blockSize: 8, layers: 2, heads: 2, width: 16, trainingEngine });
    assert.equal(model.trainingEngine, trainingEngine);
    const run: number[] = [];
    for (const batch of batches) run.push(await model.trainStep(data, batch, 1e-2));
    run.push(model.evaluate(data));
    losses.push(run);
    model.dispose();
  }
  const [onnx, tfjs] = losses as [number[], number[]];
  assert.ok(onnx[onnx.length - 1]! < onnx[0]! - 0.1, `the model learns: ${onnx[0]} → ${onnx[onnx.length - 1]}`);
  onnx.forEach((loss, i) => assert.ok(Math.abs(loss - tfjs[i]!) < 1e-4, `step ${i}: onnxruntime ${loss} vs tfjs ${tfjs[i]}`));
});

test("bad minibatches are refused with the shapes named", async () => {
  const model = new GPT({ vocabSize: 5, blockSize: 4, layers: 1, heads: 1, width: 4, trainingEngine: "tfjs" });
  const runner = new GptTrainingRunner(model.config, 1);
  const values = new Map(model.namedParameters().map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
  await assert.rejects(runner.lossAndGradients(values, new Int32Array(6), new Int32Array(8), 2, 4), /expected 2×4 input and target ids, got 6 and 8/);
  values.delete("finalNorm.gamma");
  await assert.rejects(runner.lossAndGradients(values, new Int32Array(8), new Int32Array(8), 2, 4), /parameter finalNorm.gamma needs 4 values, got none/);
  assert.throws(() => buildGptTrainingGraph(model.config, 2, 5), /length must be an integer in 1…4, got 5/);
  model.dispose();
});
