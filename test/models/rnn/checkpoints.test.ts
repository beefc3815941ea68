import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { englishNumberWords, frenchNumberWords, numberPairs, numberTranslationSplits } from "@llm-course/lib/data";
import { PATHS } from "@llm-course/lib/env";
import { AttentionSeq2Seq, exactMatchAccuracy, loadSeq2Seq, readCheckpointConfig, Seq2Seq } from "@llm-course/lib/models/rnn";

before(async () => {
  await initBackend({ quiet: true });
});

// The checkpoints' test split: the first 2,000 numbers of seed 42's permutation, whatever the train size.
const testSet = numberPairs(numberTranslationSplits({ seed: 42, trainSize: 1, devSize: 0, testSize: 2000 }).test);

for (const [folder, architecture] of [["tp05-rnn", "seq2seq"], ["tp06-attention", "attention"]] as const) {
  test(`checkpoint data/models/${folder}: small files, reloads, re-scores the test split as recorded (±1 %)`, () => {
    const dir = path.join(PATHS.data, "models", folder);
    for (const file of ["config.json", "weights.bin"]) {
      const size = fs.statSync(path.join(dir, file)).size;
      assert.ok(size < 2 * 1024 * 1024, `${file}: ${size} bytes, over 2 MB`);
    }
    const saved = readCheckpointConfig(dir);
    assert.equal(saved.config.architecture, architecture);
    const recorded = saved.metadata.testExactMatch as number;
    assert.equal(saved.metadata.testSize, 2000);
    const model = loadSeq2Seq(dir);
    assert.ok(architecture === "seq2seq" ? model instanceof Seq2Seq : model instanceof AttentionSeq2Seq);
    const before = tf.memory().numTensors;
    const scored = exactMatchAccuracy(model, testSet);
    assert.equal(scored.total, 2000);
    assert.ok(Math.abs(scored.accuracy - recorded) <= 0.01, `${folder}: exact match ${scored.accuracy} on the test split, ${recorded} recorded in config.json`);
    // Short numbers are rare in a uniform sample; the recipe adds copies of them to the training split.
    for (const n of [21, 80, 200, 1000, 80_000]) assert.equal(model.translate(englishNumberWords(n)).text, frenchNumberWords(n), `${n}`);
    const t = model.translate(englishNumberWords(71_080));
    assert.equal(t.stopped, "eos");
    if (architecture === "attention") {
      assert.equal(t.attention!.length, t.tokens.length);
      assert.ok(t.attention!.every((row) => row.length === t.sourceTokens.length && Math.abs(row.reduce((s, w) => s + w, 0) - 1) < 1e-4));
    } else {
      assert.equal(t.attention, null);
    }
    assert.equal(tf.memory().numTensors, before, "scoring and translating leak nothing");
    console.log(`${folder}: exact match ${(scored.accuracy * 100).toFixed(2)} % (recorded ${(recorded * 100).toFixed(2)} %); 71,080 → "${t.text}" (reference "${frenchNumberWords(71_080)}")`);
    model.dispose();
  });
}
