import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { makePairBatch, sequencePairs, Transformer, type SequencePairs, type TransformerOptions } from "@llm-course/lib/models/transformer";
import { buildTransformerTrainingGraph, TransformerTrainingRunner } from "@llm-course/lib/models/transformer/training-graph";
import { Random } from "@llm-course/lib/random";
import { assertSameLossAndGradients } from "./gradient-check";

before(async () => {
  await initBackend({ quiet: true });
});

const tiny = { sourceVocabSize: 10, targetVocabSize: 12, dModel: 8, heads: 2, dFF: 16, encoderLayers: 2, decoderLayers: 2, maxLength: 10 };

/** Pairs of random lengths over ids 4… (0–3 are <pad> <s> </s> <unk>), so a minibatch is padded on both sides. */
function randomPairs(rng: Random, count: number, minLength: number, maxLength: number): SequencePairs {
  const seq = (vocab: number) => Array.from({ length: minLength + rng.int(maxLength - minLength + 1) }, () => 4 + rng.int(vocab - 4));
  const sources = Array.from({ length: count }, () => seq(tiny.sourceVocabSize));
  return sequencePairs(sources, sources.map(() => seq(tiny.targetVocabSize)));
}

const variants: { label: string; options: Partial<TransformerOptions> }[] = [
  { label: "pre-LN, no label smoothing", options: {} },
  { label: "pre-LN, label smoothing 0.1, one head", options: { labelSmoothing: 0.1, heads: 1 } },
  { label: "post-LN, label smoothing 0.2, one layer each", options: { norm: "post", labelSmoothing: 0.2, encoderLayers: 1, decoderLayers: 1 } },
];

for (const { label, options } of variants) {
  test(`compiled training graph = tfjs autograd: loss and every gradient (${label})`, async () => {
    const model = new Transformer({ ...tiny, ...options, seed: 3, trainingEngine: "tfjs" });
    const data = randomPairs(new Random(1), 5, 1, 6);
    const batch = makePairBatch(data, Int32Array.from({ length: data.size }, (_, i) => i), model.special, tiny.maxLength, tiny.maxLength);
    assert.ok(batch.source.includes(0) && batch.decoderOutput.includes(0), "the minibatch has padding on both sides");
    const named = model.namedParameters();
    const { value, grads } = tf.variableGrads(() => model.loss(batch), named.map(([, v]) => v));
    const runner = new TransformerTrainingRunner(model.config, model.labelSmoothing, 1);
    const values = new Map(named.map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
    const compiled = await runner.lossAndGradients(values, batch);
    assertSameLossAndGradients(named, { loss: value.dataSync()[0]!, grads }, compiled);
    tf.dispose([value, ...Object.values(grads)]);
    await runner.dispose();
    model.dispose();
  });
}

test("the graph's parameters are the model's, in the same order and shapes", () => {
  for (const { options } of variants) {
    const model = new Transformer({ ...tiny, ...options, trainingEngine: "tfjs" });
    const graph = buildTransformerTrainingGraph(model.config, model.labelSmoothing, 2, 3, 4);
    assert.deepEqual(graph.parameters, model.namedParameters().map(([name, v]) => ({ name, dims: v.shape })));
    model.dispose();
  }
});

test("training with onnxruntime follows the tfjs run step by step", async () => {
  // Target = source reversed: a rule the model starts learning within a few steps.
  const rng = new Random(5);
  const sources = Array.from({ length: 200 }, () => Array.from({ length: 2 + rng.int(4) }, () => 4 + rng.int(6)));
  const data = sequencePairs(sources, sources.map((s) => [...s].reverse()));
  const batches = Array.from({ length: 15 }, () => Int32Array.from({ length: 16 }, () => rng.int(data.size)));
  const losses: number[][] = [];
  for (const trainingEngine of ["onnxruntime", "tfjs"] as const) {
    const model = new Transformer({ ...tiny, dModel: 16, labelSmoothing: 0.1, seed: 2, trainingEngine });
    assert.equal(model.trainingEngine, trainingEngine);
    const run: number[] = [];
    for (const batch of batches) run.push(await model.trainStep(data, batch, 1e-2));
    run.push(model.evaluate(data));
    losses.push(run);
    model.dispose();
  }
  const [onnx, tfjs] = losses as [number[], number[]];
  assert.ok(onnx[onnx.length - 2]! < onnx[0]! - 0.3, `the model learns: ${onnx[0]} → ${onnx[onnx.length - 2]}`);
  onnx.forEach((loss, i) => assert.ok(Math.abs(loss - tfjs[i]!) < 1e-4, `step ${i}: onnxruntime ${loss} vs tfjs ${tfjs[i]}`));
});

test("bad minibatches and options are refused with the problem named", async () => {
  const model = new Transformer({ ...tiny, trainingEngine: "tfjs" });
  const runner = new TransformerTrainingRunner(model.config, 0, 1);
  const values = new Map(model.namedParameters().map(([name, variable]) => [name, variable.dataSync() as Float32Array]));
  const batch = makePairBatch(sequencePairs([[4, 5]], [[6]]), [0], model.special);
  await assert.rejects(runner.lossAndGradients(values, { ...batch, source: new Int32Array(3) }), /expected 1×2 source ids and 1×2 decoder inputs and labels, got 3, 2 and 2/);
  values.delete("output.bias");
  await assert.rejects(runner.lossAndGradients(values, batch), /parameter output.bias needs 12 values, got none/);
  assert.throws(() => buildTransformerTrainingGraph(model.config, 0, 2, 11, 3), /sourceLength must be an integer in 1…10, got 11/);
  assert.throws(() => new Transformer({ ...tiny, trainingEngine: "torch" as "tfjs" }), /trainingEngine must be "auto", "onnxruntime" or "tfjs", got torch/);
  model.dispose();
  await runner.dispose();
});
