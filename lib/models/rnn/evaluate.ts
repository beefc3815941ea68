/**
 * Scores of a translator on a split: perplexity under teacher forcing (how surprised the model is by the
 * true translation, token by token) and exact-match accuracy of its greedy translations (the whole output
 * string must equal the reference — one wrong word and the number is wrong).
 */
import type { SequencePairDataset } from "../../data/sequencePairs";
import type { EncoderDecoder } from "./encoderDecoder";

/** exp(mean NLL per target token) on `data`, </s> included. */
export function perplexity(model: EncoderDecoder, data: SequencePairDataset): number {
  return Math.exp(model.evaluate(data));
}

/** A wrong greedy translation. */
export interface TranslationMistake {
  index: number;
  source: string;
  expected: string;
  predicted: string;
}

/** Exact-match accuracy of greedy decoding. */
export interface ExactMatchResult {
  /** correct / total. */
  accuracy: number;
  correct: number;
  total: number;
  /** The first mistakes, in dataset order (at most `keepMistakes`). */
  mistakes: TranslationMistake[];
}

/** Options of {@link exactMatchAccuracy}. */
export interface ExactMatchOptions {
  /** Score only the first `limit` examples (default: all). */
  limit?: number;
  /** How many mistakes to return (default 10). */
  keepMistakes?: number;
}

/** Greedy-translates every source of `data` and counts outputs equal to the reference text, as whole strings. */
export function exactMatchAccuracy(model: EncoderDecoder, data: SequencePairDataset, options: ExactMatchOptions = {}): ExactMatchResult {
  if (data === null || typeof data !== "object" || !Array.isArray(data.sources)) throw new TypeError("exactMatchAccuracy: data must be a SequencePairDataset");
  const limit = options.limit ?? data.size;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`exactMatchAccuracy: limit must be an integer ≥ 1, got ${limit}`);
  const total = Math.min(limit, data.size);
  const keep = options.keepMistakes ?? 10;
  const { ids } = model.greedyDecode(data.sources.slice(0, total));
  let correct = 0;
  const mistakes: TranslationMistake[] = [];
  ids.forEach((row, i) => {
    const predicted = model.targetTokenizer.decode(row);
    if (predicted === data.targetTexts[i]) correct++;
    else if (mistakes.length < keep) mistakes.push({ index: i, source: data.sourceTexts[i]!, expected: data.targetTexts[i]!, predicted });
  });
  return { accuracy: correct / total, correct, total, mistakes };
}
