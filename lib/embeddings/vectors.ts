/**
 * Word vectors as plain arrays: one-hot vectors (one dimension per vocabulary word) versus dense ones,
 * and cosine similarity, the measure of closeness every other embeddings helper builds on.
 */

/** Any list of numbers: `number[]`, `Float32Array`, `Float64Array`… */
export type Vector = ArrayLike<number>;

/**
 * The one-hot vector of word number `index` in a vocabulary of `size` words: all zeros but a 1 at `index`.
 * Two different one-hot vectors are always orthogonal (cosine 0), so they say nothing about meaning.
 */
export function oneHot(index: number, size: number): number[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`oneHot: size must be an integer ≥ 1, got ${size}`);
  if (!Number.isInteger(index) || index < 0 || index >= size) {
    throw new RangeError(`oneHot: index must be an integer in [0, ${size - 1}], got ${index}`);
  }
  const vector = new Array<number>(size).fill(0);
  vector[index] = 1;
  return vector;
}

/** The one-hot vector of `word` in `vocabulary`; the error names a word that is not there. */
export function oneHotOf(word: string, vocabulary: readonly string[]): number[] {
  const index = vocabulary.indexOf(word);
  if (index < 0) throw new RangeError(`oneHotOf: "${word}" is not in the vocabulary (${vocabulary.length} words)`);
  return oneHot(index, vocabulary.length);
}

function checkSameLength(a: Vector, b: Vector, caller: string): void {
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    throw new TypeError(`${caller}: expected two vectors (arrays of numbers)`);
  }
  if (a.length !== b.length) throw new RangeError(`${caller}: the vectors differ in length (${a.length} vs ${b.length})`);
  if (a.length === 0) throw new RangeError(`${caller}: the vectors are empty`);
}

/** The dot product Σ aᵢ·bᵢ. */
export function dot(a: Vector, b: Vector): number {
  checkSameLength(a, b, "dot");
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** The Euclidean length √(Σ aᵢ²). */
export function norm(a: Vector): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * a[i]!;
  return Math.sqrt(sum);
}

/**
 * Cosine similarity a·b / (‖a‖‖b‖), in [-1, 1]: 1 for vectors pointing the same way, 0 for orthogonal ones.
 * A zero vector has no direction, so comparing with one throws rather than returning NaN.
 */
export function cosineSimilarity(a: Vector, b: Vector): number {
  checkSameLength(a, b, "cosineSimilarity");
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    ab += x * y;
    aa += x * x;
    bb += y * y;
  }
  if (aa === 0 || bb === 0) throw new RangeError(`cosineSimilarity: the ${aa === 0 ? "first" : "second"} vector is zero, so it has no direction`);
  if (!Number.isFinite(ab) || !Number.isFinite(aa) || !Number.isFinite(bb)) {
    throw new RangeError("cosineSimilarity: the vectors hold non-finite values");
  }
  return Math.max(-1, Math.min(1, ab / Math.sqrt(aa * bb)));
}
