/**
 * The negative-sampling objective of word2vec, for one (center, context) pair and k sampled "negative"
 * words: instead of a softmax over the whole vocabulary, k + 1 binary questions "do these two words go
 * together?" —
 *
 *   L = −log σ(u_o · v_c) − Σₖ log σ(−u_k · v_c)
 *
 * v_c: the center word's input vector; u_o: the true context word's output vector; u_k: the negatives'
 * output vectors. The functions taking plain arrays are the lesson's (and its exercise's) version; the
 * in-place one on Float32Arrays is the TypeScript training loop's step (the reference; the WebAssembly
 * kernel lib/kernels/word2vec.as.ts does the same in f32x4 lanes).
 */
import type { Vector } from "./vectors";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** The logistic function σ(x) = 1 / (1 + e^(−x)), computed without overflow for large |x|. */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** −log σ(x) = log(1 + e^(−x)), exact for large |x| where computing σ first would round to 0 or 1. */
function negLogSigmoid(x: number): number {
  return x >= 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
}

/** The loss of one pair and its gradients with respect to every vector involved. */
export interface NegativeSamplingGradients {
  loss: number;
  /** ∂L/∂v_c = (σ(u_o·v_c) − 1)·u_o + Σₖ σ(u_k·v_c)·u_k */
  center: number[];
  /** ∂L/∂u_o = (σ(u_o·v_c) − 1)·v_c */
  context: number[];
  /** ∂L/∂u_k = σ(u_k·v_c)·v_c, one per negative */
  negatives: number[][];
}

function dotOf(a: Vector, b: Vector): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

function checkVectors(center: Vector, context: Vector, negatives: readonly Vector[], caller: string): void {
  const dim = center?.length;
  if (typeof dim !== "number" || dim === 0) throw new TypeError(`${caller}: center must be a non-empty vector`);
  if (context?.length !== dim) throw new RangeError(`${caller}: context has ${context?.length} numbers, center has ${dim}`);
  if (!Array.isArray(negatives)) throw new TypeError(`${caller}: negatives must be an array of vectors (one per negative sample)`);
  negatives.forEach((negative, k) => {
    if (negative?.length !== dim) throw new RangeError(`${caller}: negative ${k} has ${negative?.length} numbers, center has ${dim}`);
  });
}

/** L = −log σ(context·center) − Σₖ log σ(−negativeₖ·center), in nats. */
export const negativeSamplingLoss = offLimitsDuringChecks("negativeSamplingLoss", function negativeSamplingLoss(center: Vector, context: Vector, negatives: readonly Vector[]): number {
  checkVectors(center, context, negatives, "negativeSamplingLoss");
  let loss = negLogSigmoid(dotOf(context, center));
  for (const negative of negatives) loss += negLogSigmoid(-dotOf(negative, center));
  return loss;
});

/** {@link negativeSamplingLoss} and its gradients with respect to the center, context and negative vectors. */
export const negativeSamplingGradients = offLimitsDuringChecks("negativeSamplingGradients", function negativeSamplingGradients(center: Vector, context: Vector, negatives: readonly Vector[]): NegativeSamplingGradients {
  checkVectors(center, context, negatives, "negativeSamplingGradients");
  const dim = center.length;
  const gradCenter = new Array<number>(dim).fill(0);
  const positiveScore = dotOf(context, center);
  // dL/ds for the positive score is σ(s) − 1; for a negative score it is σ(s).
  const gPositive = sigmoid(positiveScore) - 1;
  let loss = negLogSigmoid(positiveScore);
  for (let i = 0; i < dim; i++) gradCenter[i] += gPositive * context[i]!;
  const gradContext = Array.from({ length: dim }, (_, i) => gPositive * center[i]!);
  const gradNegatives = negatives.map((negative) => {
    const score = dotOf(negative, center);
    loss += negLogSigmoid(-score);
    const g = sigmoid(score);
    for (let i = 0; i < dim; i++) gradCenter[i] += g * negative[i]!;
    return Array.from({ length: dim }, (_, i) => g * center[i]!);
  });
  return { loss, center: gradCenter, context: gradContext, negatives: gradNegatives };
});

/**
 * One SGD step of negative sampling, in place, as word2vec's inner loop does it. `hidden` (from
 * `hiddenOffset`, `dim` numbers) is the input side: the center word's vector in skip-gram, the mean of
 * the context vectors in CBOW. `targets[0]` is the word to predict, `targets[1…count−1]` the negatives:
 * their rows of `output` move by −lr·∂L/∂u at once, and −lr·∂L/∂h is ADDED to `hiddenStep` (the caller
 * applies it to the input vectors afterwards, as the C code does with `neu1e`). Returns the pair's loss.
 */
export function negativeSamplingUpdate(
  hidden: Float32Array,
  hiddenOffset: number,
  output: Float32Array,
  dim: number,
  targets: Int32Array,
  count: number,
  lr: number,
  hiddenStep: Float32Array,
): number {
  let loss = 0;
  const h = hiddenOffset;
  // Loops unrolled by 4: independent accumulators and fewer loop tests make V8's code about 1.6× faster here.
  const dim4 = dim - (dim % 4);
  for (let d = 0; d < count; d++) {
    const row = targets[d]! * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let j = 0; j < dim4; j += 4) {
      s0 += hidden[h + j]! * output[row + j]!;
      s1 += hidden[h + j + 1]! * output[row + j + 1]!;
      s2 += hidden[h + j + 2]! * output[row + j + 2]!;
      s3 += hidden[h + j + 3]! * output[row + j + 3]!;
    }
    let score = s0 + s1 + s2 + s3;
    for (let j = dim4; j < dim; j++) score += hidden[h + j]! * output[row + j]!;
    // Clamped so exp never overflows; beyond ±30, σ is 0 or 1 in float64 anyway.
    const s = score > 30 ? 30 : score < -30 ? -30 : score;
    const e = Math.exp(-s);
    const p = 1 / (1 + e);
    let g: number;
    if (d === 0) {
      g = (1 - p) * lr;
      loss += Math.log1p(e);
    } else {
      g = -p * lr;
      loss += s + Math.log1p(e);
    }
    for (let j = 0; j < dim4; j += 4) {
      const r = row + j;
      const o0 = output[r]!;
      const o1 = output[r + 1]!;
      const o2 = output[r + 2]!;
      const o3 = output[r + 3]!;
      hiddenStep[j] += g * o0;
      hiddenStep[j + 1] += g * o1;
      hiddenStep[j + 2] += g * o2;
      hiddenStep[j + 3] += g * o3;
      output[r] = o0 + g * hidden[h + j]!;
      output[r + 1] = o1 + g * hidden[h + j + 1]!;
      output[r + 2] = o2 + g * hidden[h + j + 2]!;
      output[r + 3] = o3 + g * hidden[h + j + 3]!;
    }
    for (let j = dim4; j < dim; j++) {
      const o = output[row + j]!;
      hiddenStep[j] += g * o;
      output[row + j] = o + g * hidden[h + j]!;
    }
  }
  return loss;
}
