import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { loadMobyDick } from "@llm-course/lib/data/books";
import {
  BERT,
  BertClassifier,
  bertClassificationData,
  bertMlmData,
  bertParameterCount,
  featureExtraction,
  fillMask,
  IGNORE_INDEX,
  isBertCheckpoint,
  maskingRules,
  maskTokens,
  mlmSequences,
} from "@llm-course/lib/models/bert";
import { Random } from "@llm-course/lib/random";
import { bertEncode, trainBertWordTokenizer } from "@llm-course/lib/tokenizers";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "llm-course-bert-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const book = loadMobyDick().slice(30_000, 130_000);
const paragraphs = book.split(/\n\s*\n/).filter((p) => p.trim().length > 40);
const tokenizer = trainBertWordTokenizer(book, { maxWords: 600 });

before(async () => {
  await initBackend({ quiet: true });
});

test("masking: exactly round(15 %) of the ordinary tokens per sequence, 80 / 10 / 10 of them masked / random / unchanged, specials never touched", () => {
  // Ids 0–4 are [PAD] [UNK] [CLS] [SEP] [MASK]; sequences [CLS] w… [SEP] [PAD]… with 20 to 60 words.
  const rules = maskingRules({ maskId: 4, vocabSize: 1000, specialIds: [0, 1, 2, 3] });
  const rng = new Random(7);
  const totals = { chosen: 0, masked: 0, random: 0, unchanged: 0 };
  for (let s = 0; s < 3000; s++) {
    const words = 20 + (s % 41);
    const ids = [2, ...Array.from({ length: words }, () => 5 + rng.int(995)), 3, ...new Array(64 - words - 2).fill(0)];
    const { inputs, labels, positions, counts } = maskTokens(ids, rng, rules);
    assert.equal(positions.length, Math.max(1, Math.round(0.15 * words)), `sequence ${s}`);
    assert.equal(counts.masked + counts.random + counts.unchanged, positions.length);
    for (let i = 0; i < ids.length; i++) {
      if (positions.includes(i)) {
        assert.ok(i >= 1 && i <= words, "only ordinary tokens are chosen");
        assert.equal(labels[i], ids[i], "the label is the original token");
        assert.ok(inputs[i] === 4 || inputs[i]! >= 5, "a replacement is [MASK] or an ordinary token");
      } else {
        assert.equal(labels[i], IGNORE_INDEX);
        assert.equal(inputs[i], ids[i], "positions not chosen are left alone");
      }
    }
    totals.chosen += positions.length;
    totals.masked += counts.masked;
    totals.random += counts.random;
    totals.unchanged += counts.unchanged;
  }
  const share = (n: number) => n / totals.chosen;
  console.log(`${totals.chosen} chosen tokens: ${(100 * share(totals.masked)).toFixed(2)} % [MASK], ${(100 * share(totals.random)).toFixed(2)} % random, ${(100 * share(totals.unchanged)).toFixed(2)} % unchanged`);
  // ~18,000 draws: one standard deviation is 0.3 % for 80 %, 0.22 % for 10 %; allow ~5 of them.
  assert.ok(Math.abs(share(totals.masked) - 0.8) < 0.015);
  assert.ok(Math.abs(share(totals.random) - 0.1) < 0.011);
  assert.ok(Math.abs(share(totals.unchanged) - 0.1) < 0.011);

  // Seeded: the same seed gives the same corruption; a short sequence still gets one prediction.
  const ids = [2, 10, 11, 12, 13, 14, 15, 16, 17, 3];
  assert.deepEqual(maskTokens(ids, new Random(3), rules), maskTokens(ids, new Random(3), rules));
  assert.equal(maskTokens([2, 9, 3], new Random(1), rules).positions.length, 1);
  assert.equal(maskTokens([2, 3, 0], new Random(1), rules).positions.length, 0);
  // 100 % [MASK] when asked.
  const all = maskTokens(ids, new Random(5), maskingRules({ maskId: 4, vocabSize: 1000, specialIds: [0, 1, 2, 3], probability: 1, maskShare: 1, randomShare: 0 }));
  assert.deepEqual(Array.from(all.inputs), [2, 4, 4, 4, 4, 4, 4, 4, 4, 3]);
  assert.throws(() => maskingRules({ maskId: 4, vocabSize: 1000, specialIds: [], maskShare: 0.95, randomShare: 0.1 }), /maskShare \+ randomShare must be ≤ 1/);
  assert.throws(() => maskTokens([2, 1000], new Random(1), rules), /ids\[1\] = 1000 is not an id in 0…999/);
});

test("parameter count: the hand formula for a small config, and configuration errors", () => {
  // V = 20, P = 16, S = 2, N = 2, d = 8, h = 32: embeddings (20 + 16 + 2)·8 = 304 + LayerNorm 16;
  // per layer 4·(64 + 8) + 16 + (256 + 32) + (256 + 8) + 16 = 872; MLM head 72 + 16 + 20 = 108.
  const model = new BERT({ vocabSize: 20, maxPositions: 16, layers: 2, heads: 2, width: 8 });
  assert.equal(304 + 16 + 2 * 872 + 108, 2172);
  assert.equal(model.parameterCount, 2172);
  assert.equal(bertParameterCount(model.config), 2172);
  assert.throws(() => model.forward(tf.zeros([1, 17], "int32") as tf.Tensor2D), /T = 17 must be in 1…16/);
  assert.throws(() => model.forward(tf.zeros([1, 4]) as tf.Tensor2D), /ids must be an int32 tensor/);
  model.dispose();
  assert.throws(() => model.hiddenStates(tf.zeros([1, 4], "int32") as tf.Tensor2D), /disposed/);
  assert.throws(() => new BERT({ vocabSize: 20, width: 30, heads: 4 }), /heads \(4\) must divide width \(30\)/);
  assert.throws(() => new BERT({ vocabSize: 20, padId: 20 }), /padId must be an id in 0…19/);
});

test("padding changes nothing: a text alone and inside a padded batch get the same vectors (no causal mask: every token sees both sides)", () => {
  const model = new BERT({ vocabSize: tokenizer.vocabSize, maxPositions: 32, layers: 2, heads: 2, width: 16, initStd: 0.2, seed: 3 });
  try {
    const short = bertEncode(tokenizer, "call me ishmael .");
    const long = bertEncode(tokenizer, "some years ago , never mind how long precisely , having little money");
    const alone = tf.tidy(() => model.forward(tf.tensor2d([short], [1, short.length], "int32")).dataSync());
    const padded = [...short, ...new Array(long.length - short.length).fill(0)];
    const batch = tf.tidy(() => model.forward(tf.tensor2d([long, padded], [2, long.length], "int32")).dataSync());
    const V = tokenizer.vocabSize;
    let diff = 0;
    for (let i = 0; i < short.length * V; i++) diff = Math.max(diff, Math.abs(batch[long.length * V + i]! - alone[i]!));
    assert.ok(diff < 1e-5, `max diff ${diff}`);
    // Bidirectional: changing the LAST word changes the vector of the FIRST one (a decoder's would not move).
    const other = bertEncode(tokenizer, "call me whale .");
    const first = (ids: number[]) => tf.tidy(() => model.hiddenStates(tf.tensor2d([ids], [1, ids.length], "int32")).slice([0, 1, 0], [1, 1, 16]).dataSync());
    const a = first(short);
    const b = first(other);
    assert.ok(a.some((v, i) => Math.abs(v - b[i]!) > 1e-4));
  } finally {
    model.dispose();
  }
});

test("pre-training: the masked-LM loss falls from ln V, evaluation is deterministic, save/load keeps the logits", async () => {
  const data = bertMlmData(tokenizer, paragraphs, { maxLength: 32, seed: 1 });
  assert.ok(data.size > 100);
  assert.ok(Array.from(data.lengths).every((n) => n >= 3 && n <= 32));
  const model = new BERT({ vocabSize: tokenizer.vocabSize, maxPositions: 32, layers: 1, heads: 2, width: 32, seed: 5 });
  try {
    const dev = bertMlmData(tokenizer, paragraphs.slice(0, 20), { maxLength: 32, seed: 9 });
    const before = model.evaluateMlm(dev);
    assert.ok(Math.abs(before.loss - Math.log(tokenizer.vocabSize)) < 0.3, `initial loss ${before.loss} ≈ ln V = ${Math.log(tokenizer.vocabSize)}`);
    assert.equal(model.evaluate(dev), before.loss, "the evaluation masks are the same at every call");
    const rng = new Random(2);
    const started = Date.now();
    for (let step = 0; step < 40; step++) await model.trainStep(data, Int32Array.from({ length: 16 }, () => rng.int(data.size)), 3e-3);
    const afterTraining = model.evaluateMlm(dev);
    console.log(`40 steps in ${((Date.now() - started) / 1000).toFixed(1)} s: dev MLM loss ${before.loss.toFixed(3)} → ${afterTraining.loss.toFixed(3)}, accuracy ${(100 * afterTraining.accuracy).toFixed(1)} % over ${afterTraining.predicted} tokens`);
    assert.ok(afterTraining.loss < before.loss - 1, "the loss falls by more than a nat");

    const folder = path.join(tmp, "checkpoint");
    model.save(folder, { note: "test" });
    assert.ok(isBertCheckpoint(folder));
    const loaded = BERT.load(folder);
    const ids = tf.tensor2d([bertEncode(tokenizer, "the whale")], undefined, "int32");
    assert.deepEqual(Array.from(loaded.forward(ids).dataSync()), Array.from(model.forward(ids).dataSync()));
    ids.dispose();
    loaded.dispose();

    // fill-mask and feature extraction: shapes, probabilities, mean pooling ignores padding.
    const guesses = fillMask(model, tokenizer, "the [MASK] of the whale", { topK: 4 });
    assert.equal(guesses.length, 4);
    assert.ok(guesses.every((g, i) => i === 0 || g.score <= guesses[i - 1]!.score));
    assert.equal(guesses[0]!.sequence, `the ${guesses[0]!.token_str} of the whale`);
    assert.throws(() => fillMask(model, tokenizer, "no mask here"), /no \[MASK\]/);
    const [alone] = featureExtraction(model, tokenizer, ["the whale"]);
    const [inBatch] = featureExtraction(model, tokenizer, ["the whale", "a much longer sentence about the sea and the ship"]);
    assert.equal(alone!.length, 32);
    assert.ok(alone!.every((v, i) => Math.abs(v - inBatch![i]!) < 1e-5));
    const [unit] = featureExtraction(model, tokenizer, ["the whale"], { normalize: true, pooling: "cls" });
    assert.ok(Math.abs(Math.hypot(...unit!) - 1) < 1e-5);
  } finally {
    model.dispose();
  }
});

test("fine-tuning: the [CLS] classifier learns which texts mention the sea", async () => {
  // Label 1 when the paragraph has "sea", "ocean" or "water": a task the words decide.
  const texts = paragraphs.slice(0, 300);
  const labels = texts.map((t) => (/\b(sea|ocean|water)\b/i.test(t) ? 1 : 0));
  const data = bertClassificationData(tokenizer, texts, labels, { maxLength: 64 });
  assert.equal(data.numLabels, 2);
  const bert = new BERT({ vocabSize: tokenizer.vocabSize, maxPositions: 64, layers: 1, heads: 2, width: 32, seed: 1 });
  const classifier = new BertClassifier(bert, { seed: 2 });
  try {
    const before = classifier.evaluate(data);
    const rng = new Random(4);
    for (let step = 0; step < 60; step++) await classifier.trainStep(data, Int32Array.from({ length: 16 }, () => rng.int(data.size)), 3e-3);
    const predicted = classifier.predict(data);
    const accuracy = predicted.reduce((n, p, i) => n + (p === labels[i] ? 1 : 0), 0) / labels.length;
    const majority = Math.max(...[0, 1].map((c) => labels.filter((l) => l === c).length)) / labels.length;
    console.log(`training accuracy ${(100 * accuracy).toFixed(1)} % (majority class ${(100 * majority).toFixed(1)} %), loss ${before.toFixed(3)} → ${classifier.evaluate(data).toFixed(3)}`);
    assert.ok(accuracy > majority + 0.1);
    assert.equal(classifier.predictProbabilities(data).length, 2 * data.size);
    assert.ok(!classifier.namedParameters().some(([name]) => name.startsWith("mlm.")), "the masked-LM head is not fine-tuned");
    assert.throws(() => new BertClassifier(bert, { numLabels: 1 }), /numLabels must be an integer ≥ 2/);
  } finally {
    classifier.dispose();
    bert.dispose();
  }
});

test("data builders: [CLS] … [SEP] pieces of at most maxLength, padded rows", () => {
  assert.deepEqual(mlmSequences([[10, 11, 12, 13, 14, 15, 16]], { maxLength: 5, clsId: 2, sepId: 3, minTokens: 1 }), [[2, 10, 11, 12, 3], [2, 13, 14, 15, 3], [2, 16, 3]]);
  assert.deepEqual(mlmSequences([[10, 11, 12, 13]], { maxLength: 5, clsId: 2, sepId: 3, minTokens: 2 }), [[2, 10, 11, 12, 3]]);
  const data = bertClassificationData(tokenizer, ["the whale", "the white whale"], [0, 1], { maxLength: 8 });
  assert.deepEqual(Array.from(data.lengths), [4, 5]);
  assert.deepEqual(Array.from(data.ids.subarray(0, 8)), [...bertEncode(tokenizer, "the whale"), 0, 0, 0, 0]);
  assert.throws(() => bertClassificationData(tokenizer, ["a"], [0, 1]), /one label per sequence/);
});
