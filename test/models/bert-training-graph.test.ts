import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { BERT, BertClassifier, BertTrainingRunner, buildBertTrainingGraph, classificationDataset, maskingRules, mlmDataset } from "@llm-course/lib/models/bert";
import { Random } from "@llm-course/lib/random";
import { assertSameLossAndGradients } from "./gradient-check";

before(async () => {
  await initBackend({ quiet: true });
});

const OPTIONS = { vocabSize: 13, maxPositions: 8, layers: 2, heads: 2, width: 16, padId: 0, seed: 3 };
const BATCH = 3;
const LENGTH = 6;

/** Ids 1…12 with trailing padding of 0, 2 and 3 tokens: the mask matters. */
function paddedIds(rng: Random): Int32Array {
  const ids = new Int32Array(BATCH * LENGTH);
  [0, 2, 3].forEach((pad, b) => {
    for (let t = 0; t < LENGTH - pad; t++) ids[b * LENGTH + t] = 1 + rng.int(12);
  });
  return ids;
}

const values = (named: [string, tf.Variable][]) => new Map(named.map(([name, variable]) => [name, variable.dataSync() as Float32Array]));

test("compiled masked-LM graph = tfjs autograd: loss and every gradient (padding hidden, tied output table)", async () => {
  const model = new BERT({ ...OPTIONS, trainingEngine: "tfjs" });
  const rng = new Random(1);
  const inputs = paddedIds(rng);
  const positions = Int32Array.from([1, 3, 4, 7, 8, 13, 14]);
  const targets = Int32Array.from(positions, () => 1 + rng.int(12));
  const named = model.namedParameters();
  const { value, grads } = tf.variableGrads(
    () => model.mlmLoss(tf.tensor2d(inputs, [BATCH, LENGTH], "int32"), tf.tensor1d(positions, "int32"), tf.tensor1d(targets, "int32")),
    named.map(([, v]) => v),
  );
  const runner = new BertTrainingRunner(model.config, 1);
  const compiled = await runner.mlmLossAndGradients(values(named), inputs, positions, targets, BATCH, LENGTH);
  const gap = assertSameLossAndGradients(named, { loss: value.dataSync()[0]!, grads }, compiled);
  console.log(`masked LM: loss ${compiled.loss.toFixed(6)}, largest |compiled − autograd| = ${gap.toExponential(2)}`);
  // Another number of masked positions runs in the same session.
  const fewer = await runner.mlmLossAndGradients(values(named), inputs, positions.subarray(0, 2), targets.subarray(0, 2), BATCH, LENGTH);
  const expected = tf.tidy(() => model.mlmLoss(tf.tensor2d(inputs, [BATCH, LENGTH], "int32"), tf.tensor1d(positions.subarray(0, 2), "int32"), tf.tensor1d(targets.subarray(0, 2), "int32")).dataSync()[0]!);
  assert.ok(Math.abs(fewer.loss - expected) < 1e-5, `2 positions: ${fewer.loss} vs ${expected}`);
  tf.dispose([value, ...Object.values(grads)]);
  await runner.dispose();
  model.dispose();
});

test("compiled classification graph = tfjs autograd: loss and every gradient of encoder, pooler and classifier", async () => {
  const model = new BERT({ ...OPTIONS, trainingEngine: "tfjs" });
  const classifier = new BertClassifier(model, { numLabels: 3, seed: 2 });
  const rng = new Random(2);
  const inputs = paddedIds(rng);
  const labels = Int32Array.from([2, 0, 1]);
  const named = classifier.namedParameters();
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, "int32"), 3).toFloat(), classifier.logits(tf.tensor2d(inputs, [BATCH, LENGTH], "int32"))) as tf.Scalar,
    named.map(([, v]) => v),
  );
  const runner = new BertTrainingRunner(model.config, 1);
  const compiled = await runner.classificationLossAndGradients(values(named), inputs, labels, 3, BATCH, LENGTH);
  const gap = assertSameLossAndGradients(named, { loss: value.dataSync()[0]!, grads }, compiled);
  console.log(`classification: loss ${compiled.loss.toFixed(6)}, largest |compiled − autograd| = ${gap.toExponential(2)}`);
  tf.dispose([value, ...Object.values(grads)]);
  await runner.dispose();
  classifier.dispose();
  model.dispose();
});

test("the graphs' parameters are the models', in the same order and shapes", () => {
  const model = new BERT({ ...OPTIONS, trainingEngine: "tfjs" });
  const classifier = new BertClassifier(model, { numLabels: 2 });
  const shapes = (named: [string, tf.Variable][]) => named.map(([name, v]) => ({ name, dims: v.shape }));
  assert.deepEqual(buildBertTrainingGraph(model.config, { kind: "mlm" }, 2, 4).parameters, shapes(model.namedParameters()));
  assert.deepEqual(buildBertTrainingGraph(model.config, { kind: "classification", numLabels: 2 }, 2, 4).parameters, shapes(classifier.namedParameters()));
  classifier.dispose();
  model.dispose();
});

test("bad minibatches are refused with the problem named", async () => {
  const model = new BERT({ ...OPTIONS, trainingEngine: "tfjs" });
  const runner = new BertTrainingRunner(model.config, 1);
  const named = values(model.namedParameters());
  await assert.rejects(runner.mlmLossAndGradients(named, new Int32Array(5), Int32Array.from([1]), Int32Array.from([2]), 2, 3), /expected 2×3 input ids, got 5/);
  await assert.rejects(runner.mlmLossAndGradients(named, new Int32Array(6), Int32Array.from([1, 1]), Int32Array.from([2, 3]), 2, 3), /masked position 1 is outside 0…5 or repeated/);
  await assert.rejects(runner.classificationLossAndGradients(named, new Int32Array(6), Int32Array.from([0, 2]), 2, 2, 3), /label 2 is outside 0…1/);
  assert.throws(() => buildBertTrainingGraph(model.config, { kind: "mlm" }, 2, 9), /length must be an integer in 1…8, got 9/);
  await runner.dispose();
  model.dispose();
});

test("pre-training and fine-tuning with onnxruntime follow the tfjs runs step by step (same masks, same AdamW)", async () => {
  const rng = new Random(5);
  // Sequences [CLS] … [SEP] of ids 5…12 with a rule to learn (each id follows the previous one), all of one length: one session per task.
  const sequences = Array.from({ length: 24 }, () => {
    const start = rng.int(8);
    return [1, ...Array.from({ length: 6 }, (_, i) => 5 + ((start + i) % 8)), 2];
  });
  const labels = sequences.map((s) => (s[1]! % 2 === 0 ? 1 : 0));
  const rules = maskingRules({ vocabSize: 13, maskId: 3, specialIds: [0, 1, 2, 3, 4] });
  const batches = Array.from({ length: 10 }, () => Int32Array.from({ length: 6 }, () => rng.int(sequences.length)));
  const runs: Record<string, number[]> = {};
  for (const trainingEngine of ["onnxruntime", "tfjs"] as const) {
    const model = new BERT({ ...OPTIONS, trainingEngine });
    assert.equal(model.trainingEngine, trainingEngine);
    const data = mlmDataset(sequences, { maxLength: 8, padId: 0, rules, seed: 7 });
    const run: number[] = [];
    for (const batch of batches) run.push(await model.trainStep(data, batch, 1e-2));
    run.push(model.evaluate(data));
    const classifier = new BertClassifier(model, { seed: 1 });
    assert.equal(classifier.trainingEngine, trainingEngine);
    const classes = classificationDataset(sequences, labels, { maxLength: 8, padId: 0 });
    for (const batch of batches) run.push(await classifier.trainStep(classes, batch, 1e-2));
    run.push(classifier.evaluate(classes));
    runs[trainingEngine] = run;
    classifier.dispose();
    model.dispose();
  }
  const onnx = runs.onnxruntime!;
  const tfjs = runs.tfjs!;
  assert.ok(onnx[batches.length]! < onnx[0]! - 0.3, `the MLM loss falls: ${onnx[0]} → ${onnx[batches.length]}`);
  onnx.forEach((loss, i) => assert.ok(Math.abs(loss - tfjs[i]!) < 1e-4, `step ${i}: onnxruntime ${loss} vs tfjs ${tfjs[i]}`));
});
