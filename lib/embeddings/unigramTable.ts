/**
 * Where negative samples come from: P(w) ∝ U(w)^(3/4), the unigram distribution raised to the power 3/4
 * (Mikolov et al. 2013), which gives rare words more chances than their frequency and frequent ones fewer.
 * Sampling uses the C implementation's trick: a big table where each word fills a share of the cells equal
 * to its probability, so one random index is one sample.
 */
import type { Random } from "../random";

/** The noise distribution P(w) = counts[w]^power / Σ counts^power (power 0.75 as in word2vec). */
export function noiseDistribution(counts: ArrayLike<number>, power = 0.75): Float64Array {
  if (!Number.isFinite(power) || power < 0) throw new RangeError(`noiseDistribution: power must be a finite number ≥ 0, got ${power}`);
  if (counts.length === 0) throw new RangeError("noiseDistribution: no words");
  const weights = new Float64Array(counts.length);
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (!Number.isFinite(count) || count < 0) throw new RangeError(`noiseDistribution: count ${i} is ${count}; counts must be finite numbers ≥ 0`);
    weights[i] = count === 0 ? 0 : count ** power;
    total += weights[i]!;
  }
  if (total === 0) throw new RangeError("noiseDistribution: all counts are zero");
  for (let i = 0; i < weights.length; i++) weights[i] = weights[i]! / total;
  return weights;
}

/** A table of word ids in which word w fills round(cumulative)·size cells: P(table[r] = w) ≈ P(w). */
export class UnigramTable {
  /** The cells, word ids in increasing order. */
  readonly table: Int32Array;
  /** The exact distribution the table approximates. */
  readonly probabilities: Float64Array;

  /** A table of `size` cells for `counts` (default size: 100 cells per word, at least a million). */
  constructor(counts: ArrayLike<number>, options: { power?: number; size?: number } = {}) {
    this.probabilities = noiseDistribution(counts, options.power ?? 0.75);
    const size = options.size ?? Math.min(1e8, Math.max(1e6, 100 * counts.length));
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`UnigramTable: size must be an integer ≥ 1, got ${size}`);
    this.table = new Int32Array(size);
    let cumulative = 0;
    let start = 0;
    for (let w = 0; w < this.probabilities.length; w++) {
      cumulative += this.probabilities[w]!;
      // Boundaries from the running sum, rounded once each, so the rounding errors never pile up.
      const end = w === this.probabilities.length - 1 ? size : Math.min(size, Math.round(cumulative * size));
      this.table.fill(w, start, end);
      start = Math.max(start, end);
    }
  }

  /** Number of cells. */
  get size(): number {
    return this.table.length;
  }

  /** The probability the table actually gives word `w` (its share of cells). */
  tableProbability(w: number): number {
    let cells = 0;
    for (let i = 0; i < this.table.length; i++) if (this.table[i] === w) cells++;
    return cells / this.table.length;
  }

  /** One negative sample. */
  sample(rng: Random): number {
    return this.table[rng.nextUint32() % this.table.length]!;
  }
}
