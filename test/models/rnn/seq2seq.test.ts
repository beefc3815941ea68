import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { numberPairs, numberTranslationData, sequencePairBatch, type SequencePairDataset } from "@llm-course/lib/data";
import {
  Adam,
  AdditiveAttention,
  AttentionSeq2Seq,
  clipByGlobalNorm,
  exactMatchAccuracy,
  loadSeq2Seq,
  maskedCrossEntropy,
  perplexity,
  saveSeq2Seq,
  Seq2Seq,
  type EncoderDecoder,
} from "@llm-course/lib/models/rnn";
import { Random } from "@llm-course/lib/random";
import { train } from "@llm-course/lib/training";

before(async () => {
  await initBackend({ quiet: true });
});

const SMALL = { embeddingSize: 16, hiddenSize: 24, seed: 3 };

function models(data: SequencePairDataset): EncoderDecoder[] {
  const tokenizers = { sourceTokenizer: data.sourceTokenizer, targetTokenizer: data.targetTokenizer };
  return [new Seq2Seq({ ...tokenizers, ...SMALL }), new AttentionSeq2Seq({ ...tokenizers, ...SMALL, attentionSize: 8 }), new Seq2Seq({ ...tokenizers, ...SMALL, cell: "lstm" })];
}

test("masked cross-entropy: padding rows count for nothing", () => {
  const logits = tf.tensor2d([[0, 0, 0, 0], [5, -5, 2, 0]]);
  const loss = maskedCrossEntropy(logits, tf.tensor1d([2, 1], "int32"), tf.tensor1d([1, 0]));
  // Row 0 is uniform over 4 tokens: −log(1/4) = ln 4; row 1 is padding.
  assert.ok(Math.abs(loss.dataSync()[0]! - Math.log(4)) < 1e-6);
  const both = maskedCrossEntropy(logits, tf.tensor1d([2, 1], "int32"), tf.tensor1d([1, 1])).dataSync()[0]!;
  assert.ok(both > Math.log(4), "the unmasked second row (target logit −5) adds a large loss");
});

test("Adam and clipping on hand numbers", () => {
  const { grads, norm } = clipByGlobalNorm({ a: tf.tensor1d([3]), b: tf.tensor1d([4]) }, 1);
  assert.ok(Math.abs(norm.dataSync()[0]! - 5) < 1e-6, "‖(3, 4)‖ = 5");
  assert.ok(Math.abs(grads.a!.dataSync()[0]! - 0.6) < 1e-6 && Math.abs(grads.b!.dataSync()[0]! - 0.8) < 1e-6, "scaled by 1/5");
  const kept = clipByGlobalNorm({ a: tf.tensor1d([0.3]) }, 1).grads.a!.dataSync()[0]!;
  assert.ok(Math.abs(kept - 0.3) < 1e-7, "a norm under the limit is left alone");
  // First Adam step: m̂ = g, v̂ = g², so θ moves by lr · g/(|g| + ε) ≈ lr · sign(g), whatever |g|.
  const p = tf.variable(tf.tensor1d([1, 1]));
  const adam = new Adam({ p });
  adam.update({ p: tf.tensor1d([100, -0.01]) }, 0.1);
  const after = p.dataSync();
  assert.ok(Math.abs(after[0]! - 0.9) < 1e-5 && Math.abs(after[1]! - 1.1) < 1e-4, `${after}`);
  assert.throws(() => adam.update({ q: tf.tensor1d([1]) }, 0.1), /unknown parameter "q"/);
  assert.throws(() => adam.update({ p: tf.tensor1d([1, 1]) }, NaN), /lr must be a finite number/);
});

test("teacher forcing and greedy decoding: shapes", () => {
  const data = numberPairs([7, 21, 1001, 999_999]);
  const batch = sequencePairBatch(data, [0, 1, 2, 3]);
  for (const model of models(data)) {
    const t = model.batchTensors(batch);
    const { logits, attention } = model.teacherForcing(t.sourceIds, t.sourceMask, t.decoderInputs);
    assert.deepEqual(logits.shape, [4, batch.targetLength, data.targetTokenizer.vocabSize], `${model.name} logits [batch, target, vocabulary]`);
    if (model instanceof AttentionSeq2Seq) assert.deepEqual(attention!.shape, [4, batch.targetLength, batch.sourceLength], "attention [batch, target, source]");
    else assert.equal(attention, null);
    const greedy = model.greedyDecode(data.sources, { maxLength: 6, attention: true });
    assert.equal(greedy.ids.length, 4);
    greedy.ids.forEach((ids, i) => {
      assert.ok(ids.length <= 6, "at most maxLength tokens");
      assert.ok(!ids.includes(2), "</s> is not part of the output");
      if (model instanceof AttentionSeq2Seq) {
        assert.equal(greedy.attention![i]!.length, ids.length, "one attention row per generated token");
        greedy.attention![i]!.forEach((row) => assert.equal(row.length, data.sources[i]!.length, "a weight per real source token"));
      }
    });
    const translation = model.translate("twenty-one");
    assert.deepEqual(translation.sourceTokens, ["twenty", "-", "one", "</s>"]);
    assert.equal(translation.tokens.length, translation.attention?.length ?? translation.tokens.length);
    assert.equal(typeof translation.text, "string");
    model.dispose();
    assert.throws(() => model.translate("one"), /disposed/);
  }
});

test("masking: changing what padded positions hold changes nothing", () => {
  const data = numberPairs([5, 123_456, 80, 201_000]);
  const batch = sequencePairBatch(data, [0, 1, 2, 3]);
  for (const model of models(data)) {
    const reference = model.batchTensors(batch);
    const scramble = (ids: Int32Array, mask: Float32Array, vocab: number) => ids.map((id, i) => (mask[i] === 0 ? 4 + ((i * 7) % (vocab - 4)) : id));
    const targetWidth = batch.targetLength;
    // Decoder-input padding sits where the target mask is 0 too, one step later: scramble it by the same mask.
    const changed = {
      ...reference,
      sourceIds: tf.tensor2d(scramble(batch.sourceIds, batch.sourceMask, data.sourceTokenizer.vocabSize), [4, batch.sourceLength], "int32"),
      decoderInputs: tf.tensor2d(scramble(batch.decoderInputs, shiftMask(batch.targetMask, targetWidth), data.targetTokenizer.vocabSize), [4, targetWidth], "int32"),
      decoderTargets: tf.tensor1d(scramble(batch.decoderTargets, batch.targetMask, data.targetTokenizer.vocabSize), "int32"),
    };
    assert.notDeepEqual(Array.from(changed.sourceIds.dataSync()), Array.from(batch.sourceIds), "the padded source ids really changed");
    const a = model.batchLoss(reference).dataSync()[0]!;
    const b = model.batchLoss(changed).dataSync()[0]!;
    assert.ok(Math.abs(a - b) < 1e-6, `${model.name}: loss ${a} vs ${b} after changing padded positions`);
    const mA = model.encode(reference.sourceIds, reference.sourceMask);
    const mB = model.encode(changed.sourceIds, changed.sourceMask);
    assert.deepEqual(Array.from(mA.final.h.dataSync()), Array.from(mB.final.h.dataSync()), "encoder final states equal");
    // The short source "five </s>" padded in a batch encodes to the same final state as alone.
    const alone = model.encode(tf.tensor2d([data.sources[0] as number[]], undefined, "int32"), tf.ones([1, data.sources[0]!.length]) as tf.Tensor2D);
    const hidden = model.config.hiddenSize;
    const rowA = Array.from(mA.final.h.dataSync().slice(0, hidden));
    Array.from(alone.final.h.dataSync()).forEach((v, i) => assert.ok(Math.abs(v - rowA[i]!) < 1e-5));
    model.dispose();
  }
});

/** 1 where the decoder input is padding: the target mask shifted right by one (position 0 holds <s>). */
function shiftMask(targetMask: Float32Array, width: number): Float32Array {
  const out = new Float32Array(targetMask.length);
  for (let i = 0; i < targetMask.length; i++) out[i] = i % width === 0 ? 1 : targetMask[i - 1]!;
  return out;
}

test("attention: weights sum to 1 over the source and are exactly 0 on padding", () => {
  const data = numberPairs([3, 777_777, 40]);
  const batch = sequencePairBatch(data, [0, 1, 2]);
  const model = new AttentionSeq2Seq({ sourceTokenizer: data.sourceTokenizer, targetTokenizer: data.targetTokenizer, ...SMALL });
  const t = model.batchTensors(batch);
  const weights = model.teacherForcing(t.sourceIds, t.sourceMask, t.decoderInputs).attention!.arraySync() as number[][][];
  weights.forEach((rows, b) => {
    rows.forEach((row) => {
      assert.ok(Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-5, "Σ α = 1");
      row.forEach((w, j) => {
        if (batch.sourceMask[b * batch.sourceLength + j] === 0) assert.equal(w, 0, `padding position ${j} of row ${b}`);
        else assert.ok(w > 0);
      });
    });
  });
  // The layer alone on a hand example: equal keys give equal weights over the 2 real positions.
  const layer = new AdditiveAttention({ querySize: 2, keySize: 2, attentionSize: 3, seed: 1 });
  const values = tf.tensor3d([[[1, 0], [1, 0], [5, 5]]]);
  const read = layer.attend(tf.tensor2d([[0.3, -0.2]]), layer.projectKeys(values), values, tf.tensor2d([[1, 1, 0]]));
  const w = read.weights.dataSync();
  assert.ok(Math.abs(w[0]! - 0.5) < 1e-6 && Math.abs(w[1]! - 0.5) < 1e-6 && w[2] === 0, `${w}`);
  assert.deepEqual(Array.from(read.context.dataSync()), [1, 0], "context = the mean of the two real values");
  model.dispose();
});

test("memory: no tensor leaks across training steps, evaluation and decoding", () => {
  const data = numberPairs(Array.from({ length: 40 }, (_, i) => i * 997));
  for (const model of models(data)) {
    const indices = Int32Array.from({ length: 8 }, (_, i) => i);
    model.trainStep(data, indices, 1e-3); // creates Adam's moments
    const before = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) model.trainStep(data, indices, 1e-3);
    model.evaluate(data);
    model.greedyDecode(data.sources.slice(0, 5), { maxLength: 5, attention: true });
    model.translate("one thousand");
    exactMatchAccuracy(model, data, { limit: 4 });
    assert.equal(tf.memory().numTensors, before, `${model.name} (${model.config.cell}): tensors before/after`);
    model.dispose();
  }
});

test("training with the course's loop lowers the dev loss; bad input is named", async () => {
  const { train: trainSet, dev } = numberTranslationData({ seed: 1, trainSize: 500, devSize: 50, testSize: 50 });
  const model = new AttentionSeq2Seq({ sourceTokenizer: trainSet.sourceTokenizer, targetTokenizer: trainSet.targetTokenizer, ...SMALL });
  const history = await train(model, { train: trainSet, dev, steps: 25, batchSize: 16, lr: 0.01, rng: new Random(1), progress: false, fastMode: false });
  assert.equal(history.steps.length, 25);
  assert.ok(history.devLoss[history.devLoss.length - 1]! < history.devLoss[0]! - 0.5, `dev loss ${history.devLoss[0]} → ${history.devLoss[history.devLoss.length - 1]}`);
  assert.ok(Math.abs(perplexity(model, dev!) - Math.exp(model.evaluate(dev!))) < 1e-9);
  assert.throws(() => model.trainStep(trainSet, Int32Array.from([0]), -1), /lr must be a finite number ≥ 0/);
  assert.throws(() => model.trainStep(trainSet, Int32Array.from([9999]), 0.1), /index 9999 is outside/);
  const other = numberPairs([1], trainSet.targetTokenizer, trainSet.sourceTokenizer);
  assert.throws(() => model.evaluate(other), /vocabularies \(32 → 37\) do not match the model's \(37 → 32\)/);
  assert.throws(() => new Seq2Seq({ sourceTokenizer: trainSet.sourceTokenizer, targetTokenizer: trainSet.targetTokenizer, cell: "tcn" as "gru" }), /unknown cell "tcn"/);
  model.dispose();
});

test("save/load: the reloaded model computes the same logits", () => {
  const data = numberPairs([12, 345_678]);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "seq2seq-"));
  try {
    for (const model of models(data)) {
      saveSeq2Seq(model, dir, { note: "test" });
      const loaded = loadSeq2Seq(dir);
      assert.equal(loaded.constructor, model.constructor);
      assert.deepEqual(loaded.config, model.config);
      const t = model.batchTensors(sequencePairBatch(data, [0, 1]));
      const a = model.teacherForcing(t.sourceIds, t.sourceMask, t.decoderInputs).logits.dataSync();
      const b = loaded.teacherForcing(t.sourceIds, t.sourceMask, t.decoderInputs).logits.dataSync();
      assert.deepEqual(Array.from(b), Array.from(a));
      model.dispose();
      loaded.dispose();
    }
    fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.alloc(8));
    assert.throws(() => loadSeq2Seq(dir), /weights\.bin has 8 bytes/);
    assert.throws(() => loadSeq2Seq(path.join(dir, "missing")), /no checkpoint/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
