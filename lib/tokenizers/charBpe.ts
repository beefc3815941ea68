/**
 * Byte-pair encoding "by hand", as in the lecture: start from the characters of a text (spaces included,
 * as on the seeds' slide), count adjacent pairs, merge the most frequent pair everywhere, repeat.
 * No pre-tokenization and no bytes: the whole text is one sequence of symbols, so merges may span a
 * space ("la" + " " → "la "). Ties between equally frequent pairs go to the pair that occurs first.
 */
import { assertText } from "./text";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Two adjacent symbols. */
export type SymbolPair = readonly [left: string, right: string];

/**
 * The Map key of a pair: `["l","a"]` (JSON), unambiguous even when symbols contain spaces or commas, and
 * readable when a notebook prints the map.
 */
export function pairKey(left: string, right: string): string {
  return JSON.stringify([left, right]);
}

/** The pair a {@link pairKey} stands for. */
export function pairFromKey(key: string): SymbolPair {
  const pair: unknown = JSON.parse(key);
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
    throw new TypeError(`pairFromKey: ${JSON.stringify(key)} is not a key made by pairKey(left, right)`);
  }
  return [pair[0], pair[1]];
}

/**
 * How often each adjacent pair occurs in `symbols`, keyed by {@link pairKey}. The map's insertion order is
 * the order of first occurrence, which is what breaks ties. Overlapping pairs all count: "a a a" holds
 * ("a","a") twice.
 */
export function countPairs(symbols: readonly string[]): Map<string, number> {
  checkSymbols(symbols, "countPairs");
  const counts = new Map<string, number>();
  for (let i = 0; i + 1 < symbols.length; i++) {
    const key = pairKey(symbols[i], symbols[i + 1]);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/** The most frequent pair and its count; among equal counts the one met first (map order); `null` if none. */
export function mostFrequentPair(counts: ReadonlyMap<string, number>): { pair: SymbolPair; count: number } | null {
  let bestKey: string | null = null;
  let bestCount = 0;
  for (const [key, count] of counts) {
    // Strictly greater: a later pair with the same count never replaces the first one.
    if (count > bestCount) {
      bestKey = key;
      bestCount = count;
    }
  }
  return bestKey === null ? null : { pair: pairFromKey(bestKey), count: bestCount };
}

/**
 * Replaces every occurrence of `pair` in `symbols` by the merged symbol, scanning left to right, so in
 * overlapping runs the leftmost pair wins: merging ("a","a") in a a a gives aa a. Returns a new array.
 */
export function mergePair(symbols: readonly string[], pair: SymbolPair): string[] {
  checkSymbols(symbols, "mergePair");
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== "string" || typeof pair[1] !== "string") {
    throw new TypeError(`mergePair: pair must be [left, right], two strings; got ${JSON.stringify(pair)}`);
  }
  const [left, right] = pair;
  const merged = left + right;
  const out: string[] = [];
  let i = 0;
  while (i < symbols.length) {
    if (i + 1 < symbols.length && symbols[i] === left && symbols[i + 1] === right) {
      out.push(merged);
      i += 2;
    } else {
      out.push(symbols[i]);
      i += 1;
    }
  }
  return out;
}

/** One training step: the pair merged, how often it occurred, and the segmentation after the merge. */
export interface CharBpeStep {
  /** The pair that was merged. */
  pair: SymbolPair;
  /** The new symbol, `pair[0] + pair[1]`. */
  merged: string;
  /** Occurrences of the pair before the merge. */
  count: number;
  /** The whole text's symbols after this merge. */
  symbols: string[];
}

/** What {@link trainCharBpe} learned. */
export interface CharBpeResult {
  /** The text cut into characters (code points), before any merge. */
  initial: string[];
  /** The merges, in order, with the segmentation after each. */
  steps: CharBpeStep[];
  /** The final segmentation (the initial one if no merge happened). */
  symbols: string[];
  /** The vocabulary: the distinct characters in order of appearance, then each merged symbol in order. */
  vocab: string[];
}

/** Options of {@link trainCharBpe}. */
export interface CharBpeOptions {
  /** Stop early when the most frequent pair occurs fewer times than this. Default 1: merge while any pair exists. */
  minCount?: number;
}

/**
 * Learns up to `numMerges` merges on `text`, every character (spaces included) being a symbol at the start.
 * Each step merges the most frequent adjacent pair; ties go to the pair occurring first in the current
 * segmentation. Stops early when no pair is left or the best count is below `minCount`.
 */
export const trainCharBpe = offLimitsDuringChecks("trainCharBpe", function trainCharBpe(text: string, numMerges: number, options: CharBpeOptions = {}): CharBpeResult {
  assertText(text, "trainCharBpe");
  if (!Number.isInteger(numMerges) || numMerges < 0) {
    throw new RangeError(`trainCharBpe: numMerges must be an integer ≥ 0, got ${numMerges}`);
  }
  const minCount = options.minCount ?? 1;
  if (!Number.isInteger(minCount) || minCount < 1) {
    throw new RangeError(`trainCharBpe: minCount must be an integer ≥ 1, got ${minCount}`);
  }
  const initial = [...text];
  const vocab = [...new Set(initial)];
  const steps: CharBpeStep[] = [];
  let symbols = initial;
  while (steps.length < numMerges) {
    const best = mostFrequentPair(countPairs(symbols));
    if (best === null || best.count < minCount) break;
    symbols = mergePair(symbols, best.pair);
    const merged = best.pair[0] + best.pair[1];
    if (!vocab.includes(merged)) vocab.push(merged);
    steps.push({ pair: best.pair, merged, count: best.count, symbols });
  }
  return { initial, steps, symbols, vocab };
});

/** Segments a new text with learned merges, applied one after the other in training order. */
export function applyCharBpe(text: string, merges: readonly (SymbolPair | CharBpeStep)[]): string[] {
  assertText(text, "applyCharBpe");
  let symbols = [...text];
  for (const merge of merges) symbols = mergePair(symbols, "pair" in merge ? merge.pair : merge);
  return symbols;
}

function checkSymbols(symbols: readonly string[], caller: string): void {
  if (!Array.isArray(symbols)) throw new TypeError(`${caller}: symbols must be an array of strings`);
  for (let i = 0; i < symbols.length; i++) {
    if (typeof symbols[i] !== "string") {
      throw new TypeError(`${caller}: symbols[${i}] must be a string, got ${typeof symbols[i]}`);
    }
  }
}
