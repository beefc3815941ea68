/**
 * The translation task of TP5–TP7: English number words → French number words, for numbers drawn
 * uniformly from 0 … 999,999. Seeded train/dev/test splits are disjoint, so a test number is never seen
 * in training and exact-match accuracy on the test split measures generalisation, not memory.
 *
 * The split is one seeded random permutation of 0 … 999,999 (a partial Fisher–Yates shuffle): the test
 * numbers are its first `testSize` entries and dev the next `devSize`, so both are uniform samples
 * without replacement, and they depend only on the seed and their own sizes: the test set stays the same
 * when the training set grows (fast mode and full runs score the same test numbers).
 *
 * A uniform sample almost never holds a short number (0.1 % are below 1,000, 0.1 % are round thousands),
 * and a model that never saw one writes "cinq cent cinquante-huit mille neuf" for "zero" or "un mille" for
 * "one thousand". With `shortNumbers: k` the training split starts with k copies of every short number —
 * below 1,000 or a multiple of 1,000, i.e. written with one group of words — that is not held out in dev
 * or test, and uniform draws (never short ones) fill it up to `trainSize`. The default, 0, keeps the
 * training split uniform too.
 */
import { fastOr } from "../env";
import type { TextTokenizer } from "../tokenizers/types";
import { Random } from "../random";
import { NumberWordsTokenizer } from "./numberTokenizer";
import { NUMBER_WORDS_MAX, englishNumberWords, frenchNumberWords } from "./numberWords";
import { buildSequencePairs, type SequencePairDataset } from "./sequencePairs";

/** Sizes and seed of the splits. */
export interface NumberSplitOptions {
  /** Seed of the permutation (default 42). */
  seed?: number;
  /** Default 50,000 (2,000 in fast mode), the short numbers' copies included. */
  trainSize?: number;
  /** Default 1,000 (500 in fast mode). */
  devSize?: number;
  /** Default 2,000 in both modes: a uniform sample of 0 … 999,999 large enough to read accuracies to ±1 %. */
  testSize?: number;
  /** Copies of each short number (below 1,000 or a multiple of 1,000) in the training split (default 0). */
  shortNumbers?: number;
}

/** Disjoint sets of numbers. */
export interface NumberSplits {
  seed: number;
  train: number[];
  dev: number[];
  test: number[];
}

/** The default split sizes in the current mode. */
export function defaultNumberSplitSizes(): Required<Omit<NumberSplitOptions, "seed">> {
  return { trainSize: fastOr(2000, 50_000), devSize: fastOr(500, 1000), testSize: 2000, shortNumbers: 0 };
}

function checkCount(value: unknown, name: string, min: number): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) throw new RangeError(`numberTranslationSplits: ${name} must be an integer ≥ ${min}, got ${String(value)}`);
  return value;
}

/** Disjoint train/dev/test numbers, each drawn uniformly without replacement from 0 … 999,999. */
export function numberTranslationSplits(options: NumberSplitOptions = {}): NumberSplits {
  if (options === null || typeof options !== "object") throw new TypeError("numberTranslationSplits: options must be an object { seed, trainSize, devSize, testSize }");
  const defaults = defaultNumberSplitSizes();
  const seed = options.seed ?? 42;
  if (typeof seed !== "number" || !Number.isFinite(seed)) throw new TypeError(`numberTranslationSplits: seed must be a number, got ${String(seed)}`);
  const trainSize = checkCount(options.trainSize ?? defaults.trainSize, "trainSize", 1);
  const devSize = checkCount(options.devSize ?? defaults.devSize, "devSize", 0);
  const testSize = checkCount(options.testSize ?? defaults.testSize, "testSize", 1);
  const shortCopies = checkCount(options.shortNumbers ?? defaults.shortNumbers, "shortNumbers", 0);
  const total = trainSize + devSize + testSize;
  if (total > NUMBER_WORDS_MAX + 1) throw new RangeError(`numberTranslationSplits: ${total} numbers asked for, but only ${NUMBER_WORDS_MAX + 1} exist`);
  const permutation = new Permutation(NUMBER_WORDS_MAX + 1, new Random(seed));
  const test = permutation.take(testSize, () => true);
  const dev = permutation.take(devSize, () => true);
  const heldOut = new Set([...test, ...dev]);
  const short = shortCopies === 0 ? [] : SHORT_NUMBERS.filter((n) => !heldOut.has(n));
  if (short.length * shortCopies > trainSize) {
    throw new RangeError(`numberTranslationSplits: ${shortCopies} copies of the ${short.length} short numbers do not fit in trainSize ${trainSize}`);
  }
  const train: number[] = [];
  for (let copy = 0; copy < shortCopies; copy++) train.push(...short);
  // With copies of the short numbers in, the uniform draws skip them; without, the split stays a plain prefix.
  train.push(...permutation.take(trainSize - train.length, shortCopies === 0 ? () => true : (n) => !isShortNumber(n)));
  return { seed, test, dev, train };
}

/** A number written with one group of words: below 1,000, or a multiple of 1,000 ("deux cent mille"). */
export function isShortNumber(n: number): boolean {
  return n < 1000 || n % 1000 === 0;
}

/** The 1,999 short numbers, in increasing order. */
const SHORT_NUMBERS: readonly number[] = Array.from({ length: NUMBER_WORDS_MAX + 1 }, (_, n) => n).filter(isShortNumber);

/**
 * A seeded random permutation of 0 … size − 1, drawn lazily (partial Fisher–Yates): the same draws as
 * `Random.sampleIndices`, so each prefix depends only on the seed.
 */
class Permutation {
  private readonly pool: Int32Array;
  private next = 0;

  constructor(size: number, private readonly rng: Random) {
    this.pool = new Int32Array(size);
    for (let i = 0; i < size; i++) this.pool[i] = i;
  }

  /** The next `count` entries that `keep` accepts (the others are drawn and dropped). */
  take(count: number, keep: (n: number) => boolean): number[] {
    const out: number[] = [];
    const size = this.pool.length;
    while (out.length < count) {
      if (this.next >= size) throw new RangeError(`numberTranslationSplits: not enough numbers left for the splits asked for`);
      const j = this.next + this.rng.int(size - this.next);
      const value = this.pool[j]!;
      this.pool[j] = this.pool[this.next]!;
      this.pool[this.next] = value;
      this.next++;
      if (keep(value)) out.push(value);
    }
    return out;
  }
}

/** The splits as datasets, with the tokenizers of both languages. */
export interface NumberTranslationData {
  splits: NumberSplits;
  sourceTokenizer: NumberWordsTokenizer;
  targetTokenizer: NumberWordsTokenizer;
  train: SequencePairDataset;
  /** Undefined when devSize is 0. */
  dev: SequencePairDataset | undefined;
  test: SequencePairDataset;
}

/** English → French pairs for a list of numbers, tokenized. */
export function numberPairs(
  numbers: readonly number[],
  sourceTokenizer: TextTokenizer = new NumberWordsTokenizer("en"),
  targetTokenizer: TextTokenizer = new NumberWordsTokenizer("fr"),
): SequencePairDataset {
  return buildSequencePairs(numbers.map(englishNumberWords), numbers.map(frenchNumberWords), sourceTokenizer, targetTokenizer);
}

/**
 * Everything TP5–TP7 train and score on:
 * `const { train, dev, test, sourceTokenizer, targetTokenizer } = numberTranslationData({ seed: 42 })`.
 */
export function numberTranslationData(options: NumberSplitOptions = {}): NumberTranslationData {
  const splits = numberTranslationSplits(options);
  const sourceTokenizer = new NumberWordsTokenizer("en");
  const targetTokenizer = new NumberWordsTokenizer("fr");
  const pairs = (numbers: number[]) => numberPairs(numbers, sourceTokenizer, targetTokenizer);
  return {
    splits,
    sourceTokenizer,
    targetTokenizer,
    train: pairs(splits.train),
    dev: splits.dev.length > 0 ? pairs(splits.dev) : undefined,
    test: pairs(splits.test),
  };
}
