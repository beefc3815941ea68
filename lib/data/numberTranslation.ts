/**
 * The translation task of TP5–TP7: English number words → French number words, for numbers drawn
 * uniformly from 0 … 999,999. Seeded train/dev/test splits are disjoint, so a test number is never seen
 * in training and exact-match accuracy on the test split measures generalisation, not memory.
 *
 * The split is one seeded random permutation of 0 … 999,999 (a partial Fisher–Yates shuffle): the test
 * numbers are its first `testSize` entries, dev the next `devSize`, train the next `trainSize`. Each
 * prefix depends only on the seed, so the test set stays the same when the training set grows (fast
 * mode and full runs score the same test numbers), and each split is a uniform sample without replacement.
 */
import { fastOr } from "../env";
import { Random } from "../random";
import { NumberWordsTokenizer } from "./numberTokenizer";
import { NUMBER_WORDS_MAX, englishNumberWords, frenchNumberWords } from "./numberWords";
import { buildSequencePairs, type SequencePairDataset } from "./sequencePairs";

/** Sizes and seed of the splits. */
export interface NumberSplitOptions {
  /** Seed of the permutation (default 42). */
  seed?: number;
  /** Default 50,000 (2,000 in fast mode). */
  trainSize?: number;
  /** Default 1,000 (500 in fast mode). */
  devSize?: number;
  /** Default 2,000 in both modes: a uniform sample of 0 … 999,999 large enough to read accuracies to ±1 %. */
  testSize?: number;
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
  return { trainSize: fastOr(2000, 50_000), devSize: fastOr(500, 1000), testSize: 2000 };
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
  const total = trainSize + devSize + testSize;
  if (total > NUMBER_WORDS_MAX + 1) throw new RangeError(`numberTranslationSplits: ${total} numbers asked for, but only ${NUMBER_WORDS_MAX + 1} exist`);
  const order = new Random(seed).sampleIndices(NUMBER_WORDS_MAX + 1, total);
  const take = (from: number, count: number): number[] => Array.from(order.subarray(from, from + count));
  return { seed, test: take(0, testSize), dev: take(testSize, devSize), train: take(testSize + devSize, trainSize) };
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
export function numberPairs(numbers: readonly number[], sourceTokenizer = new NumberWordsTokenizer("en"), targetTokenizer = new NumberWordsTokenizer("fr")): SequencePairDataset {
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
