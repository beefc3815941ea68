import assert from "node:assert/strict";
import { test } from "node:test";
import { BagOfWords } from "@llm-course/lib/models/bagOfWords";
import { featureDataset, fitLogisticRegression, fitStandardizer, LogisticRegression } from "@llm-course/lib/models/logistic";
import { binaryClassificationReport } from "@llm-course/lib/stats";

test("logistic regression separates a hand-made separable set: class 1 above the line x + y = 1", async () => {
  const points: [number, number][] = [[0, 0], [0.2, 0.3], [0.5, 0.2], [0.1, 0.6], [0.3, 0.4], [1, 1], [0.8, 0.7], [0.6, 0.9], [1.2, 0.3], [0.4, 1.1]];
  const labels = points.map(([x, y]) => (x + y > 1 ? 1 : 0));
  assert.deepEqual(labels, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
  const data = featureDataset(points.map((p) => Float32Array.from(p)), labels);
  const { model, history } = await fitLogisticRegression(data, { steps: 200, batchSize: 10, lr: 0.1, l2: 0, progress: false, seed: 1 });
  assert.deepEqual(Array.from(model.predict(data.rows)), labels);
  assert.ok(history.trainLoss[history.trainLoss.length - 1]! < history.trainLoss[0]! / 3, "the loss falls");
  // The boundary w·x + b = 0 is near x + y = 1: equal weights, bias ≈ −weight.
  const [wx, wy] = model.weights;
  assert.ok(wx! > 0 && wy! > 0 && Math.abs(wx! / wy! - 1) < 0.35, `weights ${wx}, ${wy}`);
  assert.ok(Math.abs(-model.bias / wx! - 1) < 0.35, `bias ${model.bias}`);
  assert.ok(model.probability(Float32Array.of(2, 2)) > 0.95 && model.probability(Float32Array.of(-1, -1)) < 0.05);
  // At the start every probability is ½: the loss is ln 2.
  assert.ok(Math.abs(new LogisticRegression(2).evaluate(data) - Math.log(2)) < 1e-12);
  assert.throws(() => featureDataset([Float32Array.of(1, 2)], [2]), /labels\[0\] = 2; binary labels are 0 or 1/);
  assert.throws(() => new LogisticRegression(3).evaluate(data), /the data has 2 features, the model 3/);
});

test("bag of words + logistic regression on sparse rows; standardizer", async () => {
  const texts = ["win money now", "cheap money offer", "win a free offer now", "meeting at noon", "see you at the meeting", "lunch at noon tomorrow"];
  const labels = [1, 1, 1, 0, 0, 0];
  const bow = BagOfWords.fit(texts, { minFrequency: 1 });
  const row = bow.transform("Money money WIN zzz");
  assert.equal(row.indices.length, 2, "two known words, the unknown one dropped");
  assert.ok(Math.abs(Math.hypot(...row.values) - 1) < 1e-6, "unit length");
  const [money, win] = [bow.tokenizer.vocab.id("money")! - 1, bow.tokenizer.vocab.id("win")! - 1];
  assert.equal(bow.word(money), "money");
  const weight = (index: number) => row.values[Array.from(row.indices).indexOf(index)]!;
  assert.ok(Math.abs(weight(money) / weight(win) - Math.log1p(2) / Math.log1p(1)) < 1e-6, "log(1 + count)");
  const data = featureDataset(texts.map((t) => bow.transform(t)), labels, bow.dim);
  const { model } = await fitLogisticRegression(data, { steps: 200, batchSize: 6, lr: 0.1, progress: false });
  const report = binaryClassificationReport(labels, model.predict(data.rows));
  assert.equal(report.accuracy, 1);
  assert.equal(model.predict([bow.transform("free money")])[0], 1);
  assert.throws(() => featureDataset([row], [1]), /sparse rows need the number of features/);

  const scaler = fitStandardizer([Float32Array.of(1, 5), Float32Array.of(3, 5)]);
  assert.deepEqual(Array.from(scaler.apply(Float32Array.of(3, 5))), [1, 0]);
});
