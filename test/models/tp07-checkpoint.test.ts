import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, test } from "node:test";
import { initBackend } from "@llm-course/lib/backend";
import { numberTranslationSplits } from "@llm-course/lib/data/numberTranslation";
import { countParameters } from "@llm-course/lib/models/transformer";
import {
  crossAttentionPicture,
  distinctLabels,
  loadTp07Transformer,
  scoreNumberTranslations,
  translateNumberWords,
  TP07_CHECKPOINT_DIR,
  TP07_RECIPE,
} from "@llm-course/lib/models/transformer/tp07";

before(async () => {
  await initBackend({ quiet: true });
});

test("the committed TP7 Transformer re-scores its measured accuracy on a fixed seeded test subset", () => {
  const weights = fs.statSync(path.join(TP07_CHECKPOINT_DIR, "weights.bin")).size;
  assert.ok(weights < 5e6, `weights.bin is ${weights} bytes; the course keeps checkpoints under 5 MB`);
  const { model, figures } = loadTp07Transformer();
  assert.equal(weights, 4 * countParameters(model));
  // What the training script measured on the 2,000 test numbers (the target is ≥ 95 %).
  assert.ok(figures.testSize >= 2000 && figures.testExactMatch >= 0.95, `recorded: ${figures.testExactMatch} on ${figures.testSize}`);
  // The recipe's seeded splits: 2,000 numbers drawn uniformly from 0 … 999,999, none of them trained on.
  const { test: numbers, train } = numberTranslationSplits(TP07_RECIPE.data);
  const trained = new Set(train);
  assert.ok(numbers.every((n) => !trained.has(n)));
  // Decoding 2,000 numbers takes about 2 s: score them all, and the first 300 the script also recorded.
  const score = scoreNumberTranslations(model, numbers);
  assert.equal(score.numbers.length, figures.testSize);
  assert.ok(Math.abs(score.accuracy - figures.testExactMatch) <= 0.01, `exact match on ${numbers.length} test numbers: ${score.accuracy}, recorded ${figures.testExactMatch}`);
  assert.equal(figures.subsetSize, TP07_RECIPE.subsetSize);
  const subset = score.correct.slice(0, figures.subsetSize);
  const subsetAccuracy = subset.filter(Boolean).length / subset.length;
  assert.ok(
    Math.abs(subsetAccuracy - figures.subsetExactMatch) <= 0.01,
    `exact match on the first ${subset.length} test numbers: ${subsetAccuracy}, recorded ${figures.subsetExactMatch}`,
  );
  model.dispose();
});

test("the committed translator on the inputs a student types first, and its cross-attention picture", () => {
  const { model } = loadTp07Transformer();
  assert.deepEqual(translateNumberWords(model, ["zero", "twenty-one", "eighty", "two hundred", "one thousand", "seventy-one thousand and seventy-one"]), [
    "zéro",
    "vingt et un",
    "quatre-vingts",
    "deux cents",
    "mille",
    "soixante et onze mille soixante et onze",
  ]);
  const picture = crossAttentionPicture(model, "ninety-nine");
  assert.equal(picture.translation, "quatre-vingt-dix-neuf");
  // ninety - nine </s>  →  quatre - vingt - dix - neuf </s>
  assert.deepEqual(picture.sourceLabels, ["ninety", "-", "nine", "</s>"]);
  assert.deepEqual(picture.targetLabels, ["quatre", "-", "vingt", "-\u200b", "dix", "-\u200b\u200b", "neuf", "</s>"]);
  assert.equal(picture.matrix.length, 8);
  for (const row of picture.matrix) {
    assert.equal(row.length, 4);
    assert.ok(Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-5);
  }
  assert.deepEqual(distinctLabels(["a", "b", "a"]), ["a", "b", "a\u200b"]);
  model.dispose();
});
