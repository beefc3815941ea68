import assert from "node:assert/strict";
import { test } from "node:test";
import { accuracy, binaryClassificationReport, confusionMatrix, f1Score, precision, recall } from "@llm-course/lib/stats";

test("metrics of a hand confusion matrix: TP 40, FP 10, FN 20, TN 130", () => {
  const m = { truePositives: 40, falsePositives: 10, falseNegatives: 20, trueNegatives: 130 };
  assert.equal(accuracy(m), 170 / 200); // 0.85
  assert.equal(precision(m), 0.8); // 40 / 50
  assert.equal(recall(m), 40 / 60); // 0.667
  // 2·0.8·(2/3) / (0.8 + 2/3) = 80 / 110 = 2TP / (2TP + FP + FN).
  assert.ok(Math.abs(f1Score(m) - 80 / 110) < 1e-15);
  assert.ok(Math.abs(f1Score(m) - (2 * precision(m) * recall(m)) / (precision(m) + recall(m))) < 1e-15);
});

test("confusion matrix from labels, the report, and the always-ham classifier (high accuracy, F1 = 0)", () => {
  const actual = [1, 1, 1, 0, 0, 0, 0, 1, 0, 0];
  const predicted = [1, 0, 1, 0, 1, 0, 0, 1, 0, 0];
  assert.deepEqual(confusionMatrix(actual, predicted), { truePositives: 3, falsePositives: 1, falseNegatives: 1, trueNegatives: 5 });
  const report = binaryClassificationReport(actual, predicted);
  assert.equal(report.accuracy, 0.8);
  assert.equal(report.precision, 0.75);
  assert.equal(report.recall, 0.75);
  assert.equal(report.f1, 0.75);
  assert.equal(report.count, 10);
  const lazy = binaryClassificationReport(actual, new Array(10).fill(0));
  assert.equal(lazy.accuracy, 0.6);
  assert.equal(lazy.precision, 0, "0/0 is reported as 0");
  assert.equal(lazy.f1, 0);
  assert.throws(() => confusionMatrix([1, 0], [1]), /2 true labels but 1 predictions/);
  assert.throws(() => confusionMatrix([1, 2], [1, 0]), /actual\[1\] = 2; binary labels are 0 or 1/);
  assert.throws(() => f1Score({ truePositives: -1, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 }), /truePositives must be a count/);
});
