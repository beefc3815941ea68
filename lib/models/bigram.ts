/**
 * The count-based bigram model of makemore part 1: count how often each character follows each other
 * one in the training names, normalise each row into a probability distribution, and score names by
 * their average negative log-likelihood. Everything is plain arithmetic on a V×V table (V = 28 for the
 * course's names), so every number can be checked by hand.
 *
 * The neural version of the same model, trained by gradient descent, lives in ./neural-bigram and is
 * re-exported here.
 */
import type { CharVocabulary } from "../data/names";
import type { Random } from "../random";
import { generateIds } from "../sampling/generate";
import type { ContextDataset } from "../training/trainable";
import { offLimitsDuringChecks } from "../grading/off-limits";

export { NeuralBigram } from "./neural-bigram";
export type { NeuralBigramOptions } from "./neural-bigram";

/**
 * The loss of a model that knows nothing: every one of `vocabSize` symbols equally likely, so each
 * prediction costs −ln(1/V) = ln V nats (ln 28 = 3.3322). A trained model must beat it.
 */
export function uniformNll(vocabSize: number): number {
  if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new RangeError(`uniformNll: vocabSize must be a positive integer, got ${vocabSize}`);
  return Math.log(vocabSize);
}

/** One step of a word's likelihood: P(next | previous), as in the lesson's "ma : probabilité 0.454" table. */
export interface BigramStep {
  /** The two characters, e.g. "ma" (or ".m" for the first letter, "y." for the end). */
  bigram: string;
  probability: number;
  /** −ln(probability), this step's contribution to the NLL. */
  nll: number;
}

/** Options of a count model. */
export interface CountBigramOptions {
  /**
   * Add-k smoothing: k fake observations of every pair before normalising (default 0, the raw counts).
   * With k = 0 a pair never seen in training has probability 0 and an infinite NLL; makemore uses k = 1.
   */
  smoothing?: number;
}

function checkSmoothing(k: number, where: string): void {
  if (typeof k !== "number" || !(k >= 0) || !Number.isFinite(k)) throw new RangeError(`${where}: smoothing must be a finite number ≥ 0, got ${k}`);
}

function checkBigramDataset(data: ContextDataset, vocabSize: number, where: string): void {
  if (data === null || typeof data !== "object" || !(data.contexts instanceof Int32Array) || !(data.targets instanceof Int32Array)) {
    throw new TypeError(`${where}: expected a ContextDataset { size, width, contexts, targets } (buildContextDataset(names, 1, vocab))`);
  }
  if (data.width !== 1) throw new RangeError(`${where}: a bigram looks at 1 previous character, but the dataset's context width is ${data.width} (build it with contextSize 1)`);
  if (data.contexts.length < data.size || data.targets.length < data.size) throw new RangeError(`${where}: the dataset says ${data.size} examples but holds fewer`);
  for (let i = 0; i < data.size; i++) {
    const a = data.contexts[i]!;
    const b = data.targets[i]!;
    if (a < 0 || a >= vocabSize || b < 0 || b >= vocabSize) throw new RangeError(`${where}: example ${i} (${a} → ${b}) has an id outside 0…${vocabSize - 1}`);
  }
}

/**
 * makemore's count model: `counts[a][b]` = times b followed a in training, and
 * P(b | a) = (counts[a][b] + k) / Σ_c (counts[a][c] + k) with add-k smoothing k.
 */
export class CountBigram {
  /** Number of symbols V (rows and columns of the table). */
  readonly vocabSize: number;
  /** Add-k smoothing used by the probabilities. */
  readonly smoothing: number;
  private readonly table: Int32Array;
  private readonly probs: Float64Array;

  /** A model from a V×V count table, row-major (`counts[a * V + b]`). Prefer {@link CountBigram.fit}. */
  constructor(counts: Int32Array, vocabSize: number, options: CountBigramOptions = {}) {
    if (!Number.isInteger(vocabSize) || vocabSize < 1) throw new RangeError(`CountBigram: vocabSize must be a positive integer, got ${vocabSize}`);
    if (!(counts instanceof Int32Array) || counts.length !== vocabSize * vocabSize) {
      throw new RangeError(`CountBigram: counts must be an Int32Array of ${vocabSize}×${vocabSize} = ${vocabSize * vocabSize} entries`);
    }
    const k = options.smoothing ?? 0;
    checkSmoothing(k, "CountBigram");
    this.vocabSize = vocabSize;
    this.smoothing = k;
    this.table = counts;
    this.probs = new Float64Array(vocabSize * vocabSize);
    for (let a = 0; a < vocabSize; a++) {
      let rowTotal = 0;
      for (let b = 0; b < vocabSize; b++) rowTotal += counts[a * vocabSize + b]! + k;
      for (let b = 0; b < vocabSize; b++) {
        // A context never seen in training (and k = 0) has no evidence at all: predict uniformly rather than 0/0.
        this.probs[a * vocabSize + b] = rowTotal > 0 ? (counts[a * vocabSize + b]! + k) / rowTotal : 1 / vocabSize;
      }
    }
  }

  /** Counts the pairs of a bigram dataset (`buildContextDataset(names, 1, vocab)`), then normalises with add-k smoothing. */
  static fit(data: ContextDataset, vocabSize: number, options: CountBigramOptions = {}): CountBigram {
    checkBigramDataset(data, vocabSize, "CountBigram.fit");
    const counts = new Int32Array(vocabSize * vocabSize);
    for (let i = 0; i < data.size; i++) counts[data.contexts[i]! * vocabSize + data.targets[i]!]! += 1;
    return new CountBigram(counts, vocabSize, options);
  }

  /** The same counts with another smoothing (the table is shared, not copied). */
  withSmoothing(k: number): CountBigram {
    return new CountBigram(this.table, this.vocabSize, { smoothing: k });
  }

  /** Times `b` followed `a` in training. */
  count(a: number, b: number): number {
    this.checkId(a, "count");
    this.checkId(b, "count");
    return this.table[a * this.vocabSize + b]!;
  }

  /** P(b | a), smoothing included. */
  probability(a: number, b: number): number {
    this.checkId(a, "probability");
    this.checkId(b, "probability");
    return this.probs[a * this.vocabSize + b]!;
  }

  /** The count table as rows (row a = what follows a), e.g. for a heat-map. */
  countMatrix(): number[][] {
    return this.rows(this.table);
  }

  /** The probability table as rows; each row sums to 1. */
  probabilityMatrix(): number[][] {
    return this.rows(this.probs);
  }

  /** P(· | a): the distribution of the character after `a` (a copy). */
  nextDistribution(a: number): Float64Array {
    this.checkId(a, "nextDistribution");
    return this.probs.slice(a * this.vocabSize, (a + 1) * this.vocabSize);
  }

  /**
   * Average negative log-likelihood of the examples of a bigram dataset, in nats:
   * −(1/N) Σ ln P(target | context). Infinity when some pair has probability 0 (unseen, no smoothing).
   */
  nll(data: ContextDataset): number {
    checkBigramDataset(data, this.vocabSize, "CountBigram.nll");
    if (data.size === 0) throw new RangeError("CountBigram.nll: the dataset is empty");
    let total = 0;
    for (let i = 0; i < data.size; i++) total -= Math.log(this.probs[data.contexts[i]! * this.vocabSize + data.targets[i]!]!);
    return total / data.size;
  }

  /** Each step of one word's likelihood, from ".first" to "last.", and the word's average NLL. */
  scoreWord(word: string, vocab: CharVocabulary): { steps: BigramStep[]; nll: number } {
    this.checkVocab(vocab, "scoreWord");
    const ids = [0, ...vocab.encode(word), 0];
    const steps: BigramStep[] = [];
    let total = 0;
    for (let i = 0; i + 1 < ids.length; i++) {
      const p = this.probs[ids[i]! * this.vocabSize + ids[i + 1]!]!;
      steps.push({ bigram: vocab.itos[ids[i]!]! + vocab.itos[ids[i + 1]!]!, probability: p, nll: -Math.log(p) });
      total -= Math.log(p);
    }
    return { steps, nll: total / steps.length };
  }

  /**
   * One name drawn from the model, makemore's loop: start after ".", draw the next character from
   * P(· | previous) with a seeded generator, stop at "." (or after `maxLength` characters).
   */
  sample(vocab: CharVocabulary, rng: Random, options: { temperature?: number; maxLength?: number } = {}): string {
    this.checkVocab(vocab, "sample");
    const ids = generateIds((context) => this.probs.subarray(context[0]! * this.vocabSize, (context[0]! + 1) * this.vocabSize), {
      contextSize: 1,
      rng,
      temperature: options.temperature,
      maxLength: options.maxLength,
    });
    return vocab.decode(ids);
  }

  private rows(values: Int32Array | Float64Array): number[][] {
    const V = this.vocabSize;
    return Array.from({ length: V }, (_, a) => Array.from(values.subarray(a * V, (a + 1) * V)));
  }

  private checkId(id: number, where: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new RangeError(`CountBigram.${where}: id ${id} is outside 0…${this.vocabSize - 1}`);
  }

  private checkVocab(vocab: CharVocabulary, where: string): void {
    if (vocab === null || typeof vocab !== "object" || vocab.size !== this.vocabSize) {
      throw new RangeError(`CountBigram.${where}: the vocabulary has ${vocab?.size} symbols but the model ${this.vocabSize}`);
    }
  }
}

// TP3's count_bigrams exercise asks for this count: disabled while its check runs the student's function.
CountBigram.fit = offLimitsDuringChecks("CountBigram.fit", CountBigram.fit);
