import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { GPT, repeatedSequenceLoss } from "@llm-course/lib/models/gpt";
import { Random } from "@llm-course/lib/random";

before(async () => {
  await initBackend({ quiet: true });
});

const options = { vocabSize: 13, blockSize: 12, layers: 2, heads: 2, width: 16, seed: 5, trainingEngine: "tfjs" } as const;

test("repeated-sequence loss = the mean −log p of each copy's tokens 2…L, read off the logits of s s", () => {
  const model = new GPT(options);
  const rng = new Random(2);
  const sequences = Array.from({ length: 3 }, () => Array.from({ length: 5 }, () => rng.int(options.vocabSize)));
  const got = repeatedSequenceLoss(model, sequences);
  // By hand: row s s (10 ids), logits at positions 0…8 predict ids 1…9; the first copy's tokens 2…5 are
  // ids 1…4, the second copy's tokens 2…5 are ids 6…9 (id 5, the second copy's first token, is left out).
  const rows = sequences.map((s) => [...s, ...s]);
  const logProbabilities = tf.logSoftmax(model.forward(tf.tensor2d(rows.map((r) => r.slice(0, 9)), [3, 9], "int32"))).arraySync() as number[][][];
  const mean = (targets: number[]) => {
    let sum = 0;
    rows.forEach((r, b) => targets.forEach((t) => (sum -= logProbabilities[b]![t - 1]![r[t]!]!)));
    return sum / (rows.length * targets.length);
  };
  assert.ok(Math.abs(got.firstCopy - mean([1, 2, 3, 4])) < 1e-5, `first copy ${got.firstCopy} vs ${mean([1, 2, 3, 4])}`);
  assert.ok(Math.abs(got.secondCopy - mean([6, 7, 8, 9])) < 1e-5, `second copy ${got.secondCopy} vs ${mean([6, 7, 8, 9])}`);
  assert.equal(got.sequences, 3);
  model.dispose();
});

test("repeated-sequence loss: unequal or too long sequences, and ids outside the vocabulary, are named", () => {
  const model = new GPT(options);
  assert.throws(() => repeatedSequenceLoss(model, []), /at least one token sequence/);
  assert.throws(() => repeatedSequenceLoss(model, [[1, 2, 3], [1, 2]]), /same length ≥ 2, got lengths 3, 2/);
  assert.throws(() => repeatedSequenceLoss(model, [[1, 2, 3, 4, 5, 6, 7]]), /needs 13 positions, more than the context of 12/);
  assert.throws(() => repeatedSequenceLoss(model, [[1, 13]]), /sequences\[0\]\[1\] = 13 is not a token id \(0…12\)/);
  model.dispose();
});
