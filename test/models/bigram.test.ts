import assert from "node:assert/strict";
import { before, test } from "node:test";
import type * as tfType from "@tensorflow/tfjs";
import { initBackend } from "@llm-course/lib/backend";
import { buildContextDataset, CharVocabulary, nameDatasets } from "@llm-course/lib/data";
import { CountBigram, NeuralBigram, uniformNll } from "@llm-course/lib/models/bigram";
import { Random } from "@llm-course/lib/random";
import { stepDecayLr, train } from "@llm-course/lib/training";

let tf: typeof tfType;
before(async () => {
  tf = await initBackend({ quiet: true });
});

const near = (actual: number, expected: number, tol: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what}: ${actual} is not within ${tol} of ${expected}`);

// The tiny corpus ["ab", "b"], vocabulary ". a b" (ids 0 1 2). Its bigrams: (.,a) (a,b) (b,.) (.,b) (b,.).
const tinyVocab = CharVocabulary.fromNames(["ab", "b"]);
const tiny = buildContextDataset(["ab", "b"], 1, tinyVocab);

test("count model on ['ab', 'b'], by hand", () => {
  const model = CountBigram.fit(tiny, 3);
  //            .  a  b
  // row "."  [ 0, 1, 1 ]   row "a" [ 0, 0, 1 ]   row "b" [ 2, 0, 0 ]
  assert.deepEqual(model.countMatrix(), [[0, 1, 1], [0, 0, 1], [2, 0, 0]]);
  assert.deepEqual(model.probabilityMatrix(), [[0, 0.5, 0.5], [0, 0, 1], [1, 0, 0]]);
  // NLL = −(ln ½ + ln 1 + ln 1 + ln ½ + ln 1) / 5 = 2 ln 2 / 5 = 0.277259
  near(model.nll(tiny), (2 * Math.log(2)) / 5, 1e-12, "NLL");
  const word = model.scoreWord("ab", tinyVocab);
  assert.deepEqual(word.steps.map((s) => [s.bigram, s.probability]), [[".a", 0.5], ["ab", 1], ["b.", 1]]);
  near(word.nll, Math.log(2) / 3, 1e-12, "word NLL");
  // "ba" uses (b, a), never seen: probability 0, infinite NLL without smoothing.
  assert.equal(model.scoreWord("ba", tinyVocab).nll, Infinity);
  // Sampling can only produce "ab" or "b"; the seed fixes the sequence.
  const rng = new Random(5);
  const samples = Array.from({ length: 40 }, () => model.sample(tinyVocab, rng));
  assert.deepEqual(new Set(samples), new Set(["ab", "b"]));
  const again = new Random(5);
  assert.deepEqual(Array.from({ length: 40 }, () => model.sample(tinyVocab, again)), samples);
  assert.equal(model.sample(tinyVocab, new Random(1), { temperature: 0 }), "ab", "greedy: '.' → a (first of the tie) → b → '.'");
});

test("add-1 smoothing on ['ab', 'b'], by hand", () => {
  const model = CountBigram.fit(tiny, 3, { smoothing: 1 });
  // counts + 1: row "." [1, 2, 2] / 5   row "a" [1, 1, 2] / 4   row "b" [3, 1, 1] / 5
  assert.deepEqual(model.probabilityMatrix(), [[0.2, 0.4, 0.4], [0.25, 0.25, 0.5], [0.6, 0.2, 0.2]]);
  // NLL = −(ln .4 + ln .5 + ln .6 + ln .4 + ln .6) / 5 = −(2 ln .4 + 2 ln .6 + ln .5) / 5 = 0.709476
  near(model.nll(tiny), -(2 * Math.log(0.4) + 2 * Math.log(0.6) + Math.log(0.5)) / 5, 1e-12, "smoothed NLL");
  near(model.nll(tiny), 0.709476, 1e-6, "smoothed NLL (decimal)");
  // Smoothing costs likelihood on the training data and buys finite NLL on unseen pairs: ln(1/0.2) for (b, a)…
  near(model.scoreWord("ba", tinyVocab).steps[1]!.nll, Math.log(5), 1e-12, "−ln P(a | b)");
  assert.equal(model.withSmoothing(0).nll(tiny), CountBigram.fit(tiny, 3).nll(tiny));
  assert.throws(() => CountBigram.fit(tiny, 3, { smoothing: -1 }), /smoothing must be a finite number ≥ 0/);
  assert.throws(() => CountBigram.fit(buildContextDataset(["ab"], 3, tinyVocab), 3), /context width is 3/);
});

test("count model on the real split: train/dev NLL with and without smoothing, uniform baseline ln 28", () => {
  const { vocab, train: trainSet, dev } = nameDatasets(1);
  near(uniformNll(28), 3.3322, 5e-5, "ln 28");
  const raw = CountBigram.fit(trainSet, vocab.size);
  const add1 = raw.withSmoothing(1);
  near(raw.nll(trainSet), 2.418562, 1e-6, "train NLL, k = 0");
  near(add1.nll(trainSet), 2.424415, 1e-6, "train NLL, k = 1");
  near(add1.nll(dev), 2.437275, 1e-6, "dev NLL, k = 1");
  // 12 dev bigrams never occur in the training names: without smoothing they have probability 0.
  let unseen = 0;
  for (let i = 0; i < dev.size; i++) if (raw.count(dev.contexts[i]!, dev.targets[i]!) === 0) unseen++;
  assert.equal(unseen, 12);
  assert.equal(raw.nll(dev), Infinity);
  assert.ok(add1.nll(dev) < uniformNll(28) - 0.89, "a bigram beats knowing nothing by about 0.9 nats");
  // The seed's "marley" table (its numbers came from another dataset; these are ours).
  const marley = add1.scoreWord("marley", vocab).steps.map((s) => `${s.bigram} ${s.probability.toFixed(3)}`);
  assert.deepEqual(marley, [".m 0.080", "ma 0.338", "ar 0.154", "rl 0.044", "le 0.186", "ey 0.035", "y. 0.532"]);
});

test("neural bigram: W = 0 gives exactly the uniform ln V; clear errors", async () => {
  const zero = new NeuralBigram({ vocabSize: 3, initScale: 0 });
  near(zero.evaluate(tiny), Math.log(3), 1e-6, "uniform rows");
  zero.dispose();
  assert.throws(() => zero.evaluate(tiny), /disposed/);
  const model = new NeuralBigram({ vocabSize: 3 });
  assert.throws(() => model.trainStep(buildContextDataset(["ab"], 2, tinyVocab), new Int32Array([0]), 1), /context width is 2/);
  assert.throws(() => model.trainStep(tiny, new Int32Array([7]), 1), /index 7 is outside/);
  assert.throws(() => new NeuralBigram({ vocabSize: 3, regularization: -1 }), /regularization/);
  model.dispose();
});

test("neural bigram on ['ab', 'b']: full-batch gradient descent approaches the counts' NLL 2 ln 2 / 5", async () => {
  const before = tf.memory().numTensors;
  const model = new NeuralBigram({ vocabSize: 3, seed: 1 });
  const history = await train(model, { train: tiny, steps: 300, batchSize: "full", lr: 5, rng: new Random(0), progress: false, fastMode: false });
  const best = (2 * Math.log(2)) / 5;
  assert.ok(history.trainLoss[0]! > 0.5);
  const final = model.evaluate(tiny);
  assert.ok(final > best - 1e-6 && final < best + 0.005, `NLL ${final} vs the optimum ${best}`);
  const p = model.probabilityMatrix();
  near(p[0]![1]!, 0.5, 0.005, "P(a | .)");
  near(p[1]![2]!, 1, 0.005, "P(b | a)");
  near(p[2]![0]!, 1, 0.005, "P(. | b)");
  model.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensor leaked by training, evaluation or sampling");
});

test("THE KEY ONE: the neural bigram trained by SGD reaches the count model's NLL (train and dev)", async () => {
  const { vocab, train: trainSet, dev } = nameDatasets(1);
  const counts = CountBigram.fit(trainSet, vocab.size);
  const before = tf.memory().numTensors;
  const model = new NeuralBigram({ vocabSize: vocab.size, seed: 42 });
  // fastMode false: this test checks the full run (about 3 s on wasm); fast mode would stop at 200 steps.
  const history = await train(model, { train: trainSet, dev, steps: 1000, batchSize: 1024, lr: stepDecayLr(50, 5), rng: new Random(42), progress: false, fastMode: false });
  assert.equal(history.steps.length, 1000);
  near(history.devLoss[0]!, 3.894, 0.01, "dev NLL of the random init W ~ N(0, 1), worse than uniform");
  const neuralDev = history.devLoss[history.devLoss.length - 1]!;
  const neuralTrain = model.evaluate(trainSet);
  // On the training names the unsmoothed counts are the maximum-likelihood solution: the network can
  // approach that NLL but never go below it.
  const countTrain = counts.nll(trainSet);
  assert.ok(neuralTrain >= countTrain - 1e-4, `train ${neuralTrain} below the optimum ${countTrain}?`);
  near(neuralTrain, countTrain, 0.01, "train NLL vs the counts");
  // On dev the unsmoothed counts give ∞ (12 unseen pairs); finite training keeps every logit finite, so
  // the network behaves like a smoothed count model: compare with add-1 (makemore's choice).
  const countDev = counts.withSmoothing(1).nll(dev);
  near(neuralDev, countDev, 0.01, "dev NLL vs the add-1 counts");
  // The learned distribution after "." matches the counts' first-letter frequencies.
  const neuralStart = model.probabilityMatrix()[0]!;
  const countStart = counts.withSmoothing(1).nextDistribution(0);
  neuralStart.forEach((p, b) => near(p, countStart[b]!, 0.01, `P(${vocab.itos[b]} | .)`));
  const rng = new Random(3);
  const names = Array.from({ length: 5 }, () => model.sample(vocab, rng));
  assert.ok(names.every((n) => /^[a-z-]*$/.test(n)));
  model.dispose();
  assert.equal(tf.memory().numTensors, before, "no tensor leaked");
});
