/**
 * Scaled dot-product attention on plain numbers, no tfjs: the lesson's worked examples, small enough to
 * check with a pencil, and the reference the tensor version (./attention) is tested against.
 *
 *   scores = Q·Kᵀ      scaled = scores / √d_k      weights = softmax(scaled) row by row      Z = weights·V
 */
import { offLimitsDuringChecks } from "../grading/off-limits";

/** q·k. */
export function dot(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`dot: vectors of different lengths (${a.length} and ${b.length})`);
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  return total;
}

/**
 * softmax of one row, stable (the largest value is subtracted first). −Infinity entries (masked positions)
 * get weight exactly 0.
 */
export function softmaxRow(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError("softmaxRow: empty row");
  const max = Math.max(...values);
  if (max === -Infinity) throw new RangeError("softmaxRow: every position is masked (all −Infinity)");
  if (Number.isNaN(max) || max === Infinity) throw new RangeError(`softmaxRow: row contains ${max}`);
  const exps = values.map((v) => Math.exp(v - max));
  const total = exps.reduce((s, e) => s + e, 0);
  return exps.map((e) => e / total);
}

/** Every step of attention for one set of queries, as the slides lay them out. */
export interface AttentionSteps {
  /** scores[i][j] = q_i · k_j. */
  scores: number[][];
  /** scores / √d_k (−Infinity where masked). */
  scaled: number[][];
  /** softmax of each row of `scaled`: how much query i takes from value j. */
  weights: number[][];
  /** output[i] = Σ_j weights[i][j] · v_j. */
  output: number[][];
}

function checkMatrix(m: readonly (readonly number[])[], name: string): number {
  if (!Array.isArray(m) || m.length === 0) throw new RangeError(`attentionByHand: ${name} must be a non-empty array of rows`);
  const width = m[0]!.length;
  m.forEach((row, i) => {
    if (row.length !== width) throw new RangeError(`attentionByHand: ${name} row ${i} has ${row.length} numbers, row 0 has ${width}`);
  });
  return width;
}

/**
 * softmax(Q·Kᵀ / √d_k)·V with every intermediate step, on arrays of rows. `mask[i][j] = 0` hides key j
 * from query i (its scaled score becomes −Infinity, its weight 0).
 */
export const attentionByHand = offLimitsDuringChecks("attentionByHand", function attentionByHand(
  queries: readonly (readonly number[])[],
  keys: readonly (readonly number[])[],
  values: readonly (readonly number[])[],
  mask?: readonly (readonly number[])[],
): AttentionSteps {
  const dK = checkMatrix(queries, "queries");
  const kWidth = checkMatrix(keys, "keys");
  checkMatrix(values, "values");
  if (kWidth !== dK) throw new RangeError(`attentionByHand: queries have ${dK} numbers per row but keys have ${kWidth}`);
  if (values.length !== keys.length) throw new RangeError(`attentionByHand: ${keys.length} keys but ${values.length} values`);
  if (mask && (mask.length !== queries.length || mask.some((row) => row.length !== keys.length))) {
    throw new RangeError(`attentionByHand: the mask must be ${queries.length} rows of ${keys.length} (queries × keys)`);
  }
  const scores = queries.map((q) => keys.map((k) => dot(q, k)));
  const root = Math.sqrt(dK);
  const scaled = scores.map((row, i) => row.map((s, j) => (mask && mask[i]![j] === 0 ? -Infinity : s / root)));
  const weights = scaled.map(softmaxRow);
  const output = weights.map((w) => values[0]!.map((_, c) => w.reduce((sum, wj, j) => sum + wj * values[j]![c]!, 0)));
  return { scores, scaled, weights, output };
});

/**
 * The seeds' worked example ("Thinking Machines", d_k = 64): q₁·k₁ = 112 and q₁·k₂ = 96, divided by
 * √64 = 8 → 14 and 12, softmax → 0.8808 and 0.1192 (the slides round to 0.88 and 0.12).
 */
export const SEEDS_ATTENTION_EXAMPLE = Object.freeze({
  tokens: Object.freeze(["Thinking", "Machines"]) as readonly string[],
  scores: Object.freeze([112, 96]) as readonly number[],
  dK: 64,
});

/** The seeds' example computed: scores, √d_k, scaled scores and softmax weights of query 1 ("Thinking"). */
export function seedsAttentionWeights(): { scores: number[]; sqrtDK: number; scaled: number[]; weights: number[] } {
  const { scores, dK } = SEEDS_ATTENTION_EXAMPLE;
  const sqrtDK = Math.sqrt(dK);
  const scaled = scores.map((s) => s / sqrtDK);
  return { scores: [...scores], sqrtDK, scaled, weights: softmaxRow(scaled) };
}

/**
 * The slides' 2-D example "The big dog": each word is a unit-length vector, and with no projections
 * (Q = K = V = X) self-attention is the dot products between words, scaled by √2, softmaxed, mixing the vectors.
 */
export const BIG_DOG_EXAMPLE = Object.freeze({
  tokens: Object.freeze(["The", "big", "dog"]) as readonly string[],
  vectors: Object.freeze([
    Object.freeze([0.5, -0.87]),
    Object.freeze([-0.7, 0.7]),
    Object.freeze([0.81, 0.59]),
  ]) as readonly (readonly number[])[],
});

/** Self-attention of "The big dog" with Q = K = V = the word vectors (optionally masked, e.g. causally). */
export function bigDogSelfAttention(mask?: readonly (readonly number[])[]): AttentionSteps {
  const x = BIG_DOG_EXAMPLE.vectors;
  return attentionByHand(x, x, x, mask);
}

/** Lower-triangular 0/1 matrix: position i sees positions 0 … i (a decoder cannot look ahead). */
export const causalMaskArray = offLimitsDuringChecks("causalMaskArray", function causalMaskArray(size: number): number[][] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`causalMaskArray: size must be an integer ≥ 1, got ${size}`);
  return Array.from({ length: size }, (_, i) => Array.from({ length: size }, (_, j) => (j <= i ? 1 : 0)));
});

/**
 * One sinusoidal positional-encoding value (Vaswani et al. 2017):
 * PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)). `dimension` is the
 * column 0 … d − 1 (even columns are sines, odd ones the cosine of the same frequency).
 */
export const positionalEncodingValue = offLimitsDuringChecks("positionalEncodingValue", function positionalEncodingValue(pos: number, dimension: number, dModel: number): number {
  if (!Number.isInteger(pos) || pos < 0) throw new RangeError(`positionalEncodingValue: pos must be an integer ≥ 0, got ${pos}`);
  if (!Number.isInteger(dModel) || dModel < 1) throw new RangeError(`positionalEncodingValue: dModel must be an integer ≥ 1, got ${dModel}`);
  if (!Number.isInteger(dimension) || dimension < 0 || dimension >= dModel) {
    throw new RangeError(`positionalEncodingValue: dimension must be an integer in 0…${dModel - 1}, got ${dimension}`);
  }
  const even = dimension - (dimension % 2);
  const angle = pos / Math.pow(10000, even / dModel);
  return dimension % 2 === 0 ? Math.sin(angle) : Math.cos(angle);
});

/** The [length × dModel] sinusoidal table as rows of numbers (plots, checks). */
export const positionalEncodingTable = offLimitsDuringChecks("positionalEncodingTable", function positionalEncodingTable(length: number, dModel: number): number[][] {
  if (!Number.isInteger(length) || length < 1) throw new RangeError(`positionalEncodingTable: length must be an integer ≥ 1, got ${length}`);
  return Array.from({ length }, (_, pos) => Array.from({ length: dModel }, (_, d) => positionalEncodingValue(pos, d, dModel)));
});
