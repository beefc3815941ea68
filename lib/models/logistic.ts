/**
 * Binary logistic regression, the simplest classifier head of TP8:
 *
 *   p(y = 1 | x) = σ(w·x + b)         loss = −mean[y·log p + (1 − y)·log(1 − p)] + (λ/2)·‖w‖²
 *   ∂loss/∂w = mean[(p − y)·x] + λ·w    ∂loss/∂b = mean[p − y]
 *
 * It is a `Trainable` of the course's one training loop, stepping with Adam in plain JavaScript (no
 * tensors: a few thousand features and examples take milliseconds). Features are dense vectors (frozen
 * BERT embeddings) or sparse ones (bag of words); the gradient of a sparse row touches only its entries.
 * The loss is convex, so any reasonable learning rate reaches the same optimum.
 */
import { Random } from "../random";
import { train, type TrainHistory } from "../training/loop";
import type { Trainable } from "../training/trainable";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** A sparse feature vector: the values at `indices`, 0 elsewhere. */
export interface SparseRow {
  indices: Int32Array;
  values: Float32Array;
}

/** One example's features: dense (Float32Array of length dim) or sparse. */
export type FeatureRow = Float32Array | SparseRow;

/** Labelled feature vectors for a binary classifier. */
export interface FeatureDataset {
  readonly size: number;
  /** Number of features. */
  readonly dim: number;
  readonly rows: readonly FeatureRow[];
  /** 0 or 1 per row. */
  readonly labels: Int32Array;
}

function isSparse(row: FeatureRow): row is SparseRow {
  return !(row instanceof Float32Array);
}

/** Checks rows and labels and packs them into a {@link FeatureDataset}; `dim` defaults to the dense rows' length. */
export function featureDataset(rows: readonly FeatureRow[], labels: ArrayLike<number>, dim?: number): FeatureDataset {
  if (!Array.isArray(rows) || rows.length === 0) throw new RangeError("featureDataset: expected a non-empty array of feature rows");
  if (labels === null || typeof labels !== "object" || labels.length !== rows.length) throw new RangeError(`featureDataset: expected one label per row (${rows.length}), got ${labels?.length}`);
  const first = rows[0]!;
  const size = dim ?? (isSparse(first) ? undefined : first.length);
  if (size === undefined) throw new Error("featureDataset: sparse rows need the number of features, dim");
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`featureDataset: dim must be an integer ≥ 1, got ${size}`);
  rows.forEach((row, i) => {
    if (isSparse(row)) {
      if (!(row.indices instanceof Int32Array) || !(row.values instanceof Float32Array) || row.indices.length !== row.values.length) throw new TypeError(`featureDataset: row ${i} must be a Float32Array or { indices: Int32Array, values: Float32Array } of equal lengths`);
      for (const index of row.indices) if (index < 0 || index >= size) throw new RangeError(`featureDataset: row ${i} has feature ${index}, outside 0…${size - 1}`);
    } else if (row.length !== size) {
      throw new RangeError(`featureDataset: row ${i} has ${row.length} features, expected ${size}`);
    }
  });
  const copy = Int32Array.from(labels);
  copy.forEach((label, i) => {
    if (label !== 0 && label !== 1) throw new RangeError(`featureDataset: labels[${i}] = ${labels[i]}; binary labels are 0 or 1`);
  });
  return { size: rows.length, dim: size, rows, labels: copy };
}

/** Options of {@link LogisticRegression}. */
export interface LogisticRegressionOptions {
  /** λ of the L2 penalty (λ/2)·‖w‖², not applied to the bias (default 1e-4). */
  l2?: number;
  /** Adam's β₁, β₂, ε (default 0.9, 0.999, 1e-8). */
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

function dot(w: Float64Array, row: FeatureRow): number {
  let sum = 0;
  if (isSparse(row)) {
    for (let k = 0; k < row.indices.length; k++) sum += w[row.indices[k]!]! * row.values[k]!;
  } else {
    for (let j = 0; j < row.length; j++) sum += w[j]! * row[j]!;
  }
  return sum;
}

function sigmoid(z: number): number {
  // Two forms so that exp never overflows.
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** −log σ(z) for y = 1, −log(1 − σ(z)) for y = 0, computed without overflow: log(1 + e^{−z}) or log(1 + e^{z}). */
function logLoss(z: number, y: number): number {
  const s = y === 1 ? -z : z;
  return s > 0 ? s + Math.log1p(Math.exp(-s)) : Math.log1p(Math.exp(s));
}

/** A binary logistic-regression classifier over `dim` features, trained by the course's `train` loop. */
export class LogisticRegression implements Trainable<FeatureDataset> {
  readonly dim: number;
  /** Weights, one per feature (zeros at first: the loss is convex, so no symmetry needs breaking). */
  readonly weights: Float64Array;
  bias = 0;
  readonly l2: number;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly m: Float64Array;
  private readonly v: Float64Array;
  private mBias = 0;
  private vBias = 0;
  private t = 0;

  constructor(dim: number, options: LogisticRegressionOptions = {}) {
    if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`LogisticRegression: dim must be an integer ≥ 1, got ${dim}`);
    const { l2 = 1e-4, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8 } = options;
    if (!(l2 >= 0) || !Number.isFinite(l2)) throw new RangeError(`LogisticRegression: l2 must be a finite number ≥ 0, got ${l2}`);
    this.dim = dim;
    this.weights = new Float64Array(dim);
    this.m = new Float64Array(dim);
    this.v = new Float64Array(dim);
    this.l2 = l2;
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.epsilon = epsilon;
  }

  private checkData(data: FeatureDataset, where: string): void {
    if (data === null || typeof data !== "object" || !Array.isArray(data.rows)) throw new TypeError(`LogisticRegression.${where}: expected a FeatureDataset (featureDataset(rows, labels))`);
    if (data.dim !== this.dim) throw new RangeError(`LogisticRegression.${where}: the data has ${data.dim} features, the model ${this.dim}`);
  }

  /** w·x + b. */
  score(row: FeatureRow): number {
    return dot(this.weights, row) + this.bias;
  }

  /** p(y = 1 | x). */
  probability(row: FeatureRow): number {
    return sigmoid(this.score(row));
  }

  /** p(y = 1) for every row. */
  predictProbabilities(rows: readonly FeatureRow[]): Float64Array {
    return Float64Array.from(rows, (row) => this.probability(row));
  }

  /** 1 where p(y = 1) ≥ `threshold` (default 0.5), else 0. */
  predict(rows: readonly FeatureRow[], threshold = 0.5): Int32Array {
    return Int32Array.from(rows, (row) => (this.probability(row) >= threshold ? 1 : 0));
  }

  /** One Adam step on the rows `indices` at learning rate `lr`; returns their mean log loss before the step (penalty included). */
  trainStep(data: FeatureDataset, indices: Int32Array, lr: number): number {
    this.checkData(data, "trainStep");
    const n = indices.length;
    const grad = new Float64Array(this.dim);
    let gradBias = 0;
    let loss = 0;
    for (let k = 0; k < n; k++) {
      const row = data.rows[indices[k]!]!;
      const y = data.labels[indices[k]!]!;
      const z = this.score(row);
      loss += logLoss(z, y);
      const error = (sigmoid(z) - y) / n;
      gradBias += error;
      if (isSparse(row)) for (let j = 0; j < row.indices.length; j++) grad[row.indices[j]!]! += error * row.values[j]!;
      else for (let j = 0; j < row.length; j++) grad[j]! += error * row[j]!;
    }
    let penalty = 0;
    for (let j = 0; j < this.dim; j++) {
      penalty += this.weights[j]! * this.weights[j]!;
      grad[j]! += this.l2 * this.weights[j]!;
    }
    this.t += 1;
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    for (let j = 0; j < this.dim; j++) {
      const g = grad[j]!;
      this.m[j] = this.beta1 * this.m[j]! + (1 - this.beta1) * g;
      this.v[j] = this.beta2 * this.v[j]! + (1 - this.beta2) * g * g;
      this.weights[j]! -= (lr * (this.m[j]! / c1)) / (Math.sqrt(this.v[j]! / c2) + this.epsilon);
    }
    this.mBias = this.beta1 * this.mBias + (1 - this.beta1) * gradBias;
    this.vBias = this.beta2 * this.vBias + (1 - this.beta2) * gradBias * gradBias;
    this.bias -= (lr * (this.mBias / c1)) / (Math.sqrt(this.vBias / c2) + this.epsilon);
    return loss / n + (this.l2 / 2) * penalty;
  }

  /** Mean log loss (nats) over `data`, without the penalty. Updates nothing. */
  evaluate(data: FeatureDataset): number {
    this.checkData(data, "evaluate");
    let loss = 0;
    for (let i = 0; i < data.size; i++) loss += logLoss(this.score(data.rows[i]!), data.labels[i]!);
    return loss / data.size;
  }
}

/** Options of {@link fitLogisticRegression}. */
export interface FitLogisticRegressionOptions extends LogisticRegressionOptions {
  /** Adam steps (default 500; fast mode caps them like every training). */
  steps?: number;
  /** Rows per step (default 64). */
  batchSize?: number;
  /** Adam's learning rate (default 0.05). */
  lr?: number;
  /** Seed of the minibatches (default 0). */
  seed?: number;
  /** Held-out rows whose loss the progress bar shows. */
  dev?: FeatureDataset;
  /** Show the progress bar (default true). */
  progress?: boolean;
}

/** Trains a {@link LogisticRegression} on `data` with the course's `train` loop: `const { model } = await fitLogisticRegression(features)`. */
export const fitLogisticRegression = offLimitsDuringChecks("fitLogisticRegression", async function fitLogisticRegression(data: FeatureDataset, options: FitLogisticRegressionOptions = {}): Promise<{ model: LogisticRegression; history: TrainHistory }> {
  const model = new LogisticRegression(data.dim, options);
  const history = await train(model, {
    train: data,
    dev: options.dev,
    steps: options.steps ?? 500,
    batchSize: options.batchSize ?? 64,
    lr: options.lr ?? 0.05,
    rng: new Random(options.seed ?? 0),
    progress: options.progress ?? true,
    label: "régression logistique",
  });
  return { model, history };
});

/**
 * Per-feature standardisation fitted on training rows (dense): x ↦ (x − mean) / std, so that features of
 * different scales get comparable weights and Adam's steps suit them all. Apply the same transform to the
 * test rows (never refit on them).
 */
export function fitStandardizer(rows: readonly Float32Array[]): { mean: Float32Array; std: Float32Array; apply: (row: Float32Array) => Float32Array } {
  if (!Array.isArray(rows) || rows.length === 0) throw new RangeError("fitStandardizer: expected a non-empty array of dense rows");
  const dim = rows[0]!.length;
  const mean = new Float64Array(dim);
  const square = new Float64Array(dim);
  for (const row of rows) {
    if (!(row instanceof Float32Array) || row.length !== dim) throw new RangeError(`fitStandardizer: every row must be a Float32Array of ${dim} features`);
    for (let j = 0; j < dim; j++) {
      mean[j]! += row[j]!;
      square[j]! += row[j]! * row[j]!;
    }
  }
  const m = Float32Array.from(mean, (s) => s / rows.length);
  // A constant feature keeps std 1 rather than dividing by 0.
  const s = Float32Array.from(square, (q, j) => Math.sqrt(Math.max(q / rows.length - m[j]! * m[j]!, 0)) || 1);
  return { mean: m, std: s, apply: (row) => Float32Array.from(row, (x, j) => (x - m[j]!) / s[j]!) };
}
