/**
 * Metrics of a binary classifier from its confusion matrix (positive class = 1, e.g. spam):
 *
 *                 predicted 1   predicted 0
 *   actual 1          TP            FN
 *   actual 0          FP            TN
 *
 *   accuracy = (TP + TN) / all      precision = TP / (TP + FP)      recall = TP / (TP + FN)
 *   F1 = 2·precision·recall / (precision + recall) = 2TP / (2TP + FP + FN)
 *
 * Accuracy alone misleads on unbalanced classes (always answering "ham" scores 69 % on the SpamAssassin
 * corpus); F1 is 0 for that classifier. A ratio whose denominator is 0 is reported as 0, as scikit-learn
 * does with zero_division=0.
 */

/** Counts of a binary classifier's decisions. */
export interface ConfusionMatrix {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
}

/** Every metric of a binary classifier on one test set. */
export interface BinaryClassificationReport {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  confusion: ConfusionMatrix;
  /** Examples scored. */
  count: number;
}

function checkLabels(values: ArrayLike<number>, name: string, caller: string): void {
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 0 && values[i] !== 1) throw new RangeError(`${caller}: ${name}[${i}] = ${String(values[i])}; binary labels are 0 or 1`);
  }
}

/** The confusion matrix of predictions `predicted` against the truth `actual` (both 0/1, same length). */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>): ConfusionMatrix {
  if (actual === null || predicted === null || typeof actual !== "object" || typeof predicted !== "object") throw new TypeError("confusionMatrix: expected two arrays of 0/1 labels");
  if (actual.length !== predicted.length) throw new RangeError(`confusionMatrix: ${actual.length} true labels but ${predicted.length} predictions`);
  checkLabels(actual, "actual", "confusionMatrix");
  checkLabels(predicted, "predicted", "confusionMatrix");
  const m: ConfusionMatrix = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] === 1) {
      if (predicted[i] === 1) m.truePositives++;
      else m.falseNegatives++;
    } else if (predicted[i] === 1) m.falsePositives++;
    else m.trueNegatives++;
  }
  return m;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function checkMatrix(m: ConfusionMatrix, caller: string): void {
  if (m === null || typeof m !== "object") throw new TypeError(`${caller}: expected a confusion matrix { truePositives, falsePositives, falseNegatives, trueNegatives }`);
  for (const key of ["truePositives", "falsePositives", "falseNegatives", "trueNegatives"] as const) {
    if (!Number.isInteger(m[key]) || m[key] < 0) throw new RangeError(`${caller}: ${key} must be a count (an integer ≥ 0), got ${String(m[key])}`);
  }
}

/** (TP + TN) / all; 0 for an empty matrix. */
export function accuracy(m: ConfusionMatrix): number {
  checkMatrix(m, "accuracy");
  return ratio(m.truePositives + m.trueNegatives, m.truePositives + m.falsePositives + m.falseNegatives + m.trueNegatives);
}

/** TP / (TP + FP): of the examples flagged positive, the share that are. */
export function precision(m: ConfusionMatrix): number {
  checkMatrix(m, "precision");
  return ratio(m.truePositives, m.truePositives + m.falsePositives);
}

/** TP / (TP + FN): of the positive examples, the share flagged. */
export function recall(m: ConfusionMatrix): number {
  checkMatrix(m, "recall");
  return ratio(m.truePositives, m.truePositives + m.falseNegatives);
}

/** The harmonic mean of precision and recall, 2TP / (2TP + FP + FN). */
export function f1Score(m: ConfusionMatrix): number {
  checkMatrix(m, "f1Score");
  return ratio(2 * m.truePositives, 2 * m.truePositives + m.falsePositives + m.falseNegatives);
}

/** Accuracy, precision, recall, F1 and the confusion matrix of `predicted` against `actual`. */
export function binaryClassificationReport(actual: ArrayLike<number>, predicted: ArrayLike<number>): BinaryClassificationReport {
  const confusion = confusionMatrix(actual, predicted);
  return { accuracy: accuracy(confusion), precision: precision(confusion), recall: recall(confusion), f1: f1Score(confusion), confusion, count: actual.length };
}
