import assert from "node:assert/strict";
import { before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { GPT, repeatedSequenceLoss, repeatedSequenceRows } from "@llm-course/lib/models/gpt";
import { warmupCosineLr } from "@llm-course/lib/models/optim";
import { Random } from "@llm-course/lib/random";
import { train } from "@llm-course/lib/training/loop";

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

test("attention maps: layer 0 = softmax(q·kᵀ/√d_head + causal mask) of the normalised embeddings, by hand; every row sums to 1 over keys ≤ query", () => {
  const model = new GPT(options);
  const ids = [3, 1, 4, 1, 5, 9, 2];
  const maps = model.attentionMaps(ids);
  assert.equal(maps.length, options.layers);
  const T = ids.length;
  const dHead = options.width / options.heads;
  const [q, k] = tf.tidy(() => {
    const x = tf.add(model.tokenEmbedding.apply(tf.tensor2d([ids], [1, T], "int32")), model.positionEmbedding!.table.slice([0, 0], [T, options.width]));
    const n = model.blocks[0]!.norm1.apply(x);
    return [model.blocks[0]!.attention.wq.apply(n).arraySync(), model.blocks[0]!.attention.wk.apply(n).arraySync()] as number[][][][];
  });
  for (let h = 0; h < options.heads; h++) {
    for (let i = 0; i < T; i++) {
      const scores = Array.from({ length: i + 1 }, (_, j) => {
        let dot = 0;
        for (let c = h * dHead; c < (h + 1) * dHead; c++) dot += q![0]![i]![c]! * k![0]![j]![c]!;
        return dot / Math.sqrt(dHead);
      });
      const top = Math.max(...scores);
      const total = scores.reduce((sum, v) => sum + Math.exp(v - top), 0);
      scores.forEach((v, j) => assert.ok(Math.abs(maps[0]![h]![i]![j]! - Math.exp(v - top) / total) < 1e-5, `head ${h}, query ${i}, key ${j}`));
    }
  }
  for (const layer of maps) {
    for (const head of layer) {
      head.forEach((row, i) => {
        assert.ok(Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-5);
        assert.ok(row.slice(i + 1).every((w) => w === 0), `query ${i} sees no later key`);
      });
    }
  }
  assert.throws(() => model.attentionMaps([]), /non-empty/);
  assert.throws(() => model.attentionMaps([13]), /prompt\[0\] = 13 is not a token id/);
  assert.throws(() => model.attentionMaps(new Array(13).fill(0)), /more than the context of 12/);
  model.dispose();
});


test("repeated-sequence rows: s s at an offset inside random ids, weights 1 exactly on the second copy's tokens 2…L", () => {
  const data = repeatedSequenceRows({ rows: 200, vocabSize: 9, length: 20, shortest: 3, longest: 8 }, new Random(4));
  assert.equal(data.size, 200);
  for (let r = 0; r < data.size; r++) {
    const row = Array.from(data.ids.subarray(r * 21, (r + 1) * 21));
    const weights = Array.from(data.weights.subarray(r * 20, (r + 1) * 20));
    const first = weights.indexOf(1);
    const n = weights.filter((w) => w === 1).length + 1;
    assert.ok(n >= 3 && n <= 8, `row ${r}: a copy of ${n} ids`);
    assert.deepEqual(weights, weights.map((_, t) => (t >= first && t < first + n - 1 ? 1 : 0)), `row ${r}: one run of ones`);
    // Targets first … first + n − 2 are ids first + 1 … first + n − 1: the second copy from its second id.
    const secondCopy = row.slice(first, first + n);
    assert.deepEqual(secondCopy, row.slice(first - n, first), `row ${r}: the two copies`);
    assert.ok(row.every((id) => Number.isInteger(id) && id >= 0 && id < 9));
  }
  assert.throws(() => repeatedSequenceRows({ rows: 1, vocabSize: 9, length: 20, longest: 11 }, new Random(1)), /6…11 ids shown twice must fit rows of 20 ids/);
});

test("smeared keys: a 2-layer GPT learns to copy a random sequence's second occurrence in 200 steps; without them it does not", async () => {
  // Rows of 64 random ids out of 64 holding a random sequence of 6–24 ids twice, the loss on the second copy.
  const V = 64;
  const T = 64;
  const data = repeatedSequenceRows({ rows: 4000, vocabSize: V, length: T }, new Random(1));
  const probeRng = new Random(9);
  const probe = Array.from({ length: 32 }, () => Array.from({ length: 24 }, () => probeRng.int(V)));
  const secondCopyLoss = async (smearKeys: boolean) => {
    const model = new GPT({ vocabSize: V, blockSize: T, layers: 2, heads: 2, width: 64, seed: 1, smearKeys, trainingEngine: "onnxruntime", trainingThreads: 1 });
    try {
      await train(model, { train: data, steps: 200, batchSize: 32, lr: warmupCosineLr(3e-3, 0.05, 3e-4), rng: new Random(7), progress: false, fastMode: false });
      return repeatedSequenceLoss(model, probe).secondCopy;
    } finally {
      model.dispose();
    }
  };
  const smeared = await secondCopyLoss(true);
  const plain = await secondCopyLoss(false);
  console.log(`second-copy loss after 200 steps: smeared keys ${smeared.toFixed(2)}, plain ${plain.toFixed(2)} (a random guess: ln 64 = ${Math.log(V).toFixed(2)})`);
  assert.ok(smeared < 2.5, `smeared keys: ${smeared}`);
  assert.ok(plain > 3.5, `plain keys: ${plain}`);
});
