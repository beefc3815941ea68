/**
 * Word-level tokenizer: text is cut into words and punctuation marks by a simple regex, and the vocabulary
 * keeps the words seen often enough. Short sequences, but a huge vocabulary and every unseen word is <unk>.
 */
import { assertText } from "./text";
import { COURSE_SPECIAL_TOKENS } from "./specialTokens";
import type { TextTokenizer } from "./types";
import { Vocabulary, type DecodeOptions } from "./vocabulary";

/** A word is a run of letters, combining marks and digits; any other non-space character stands alone. */
export const WORD_PATTERN = /[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu;

/** Cuts text into words and punctuation marks, dropping whitespace: `"J'adore le TAL."` → `J ' adore le TAL .` */
export function splitWords(text: string, options: { lowercase?: boolean } = {}): string[] {
  assertText(text, "splitWords");
  const source = options.lowercase === true ? text.toLowerCase() : text;
  return source.match(WORD_PATTERN) ?? [];
}

/** Options of a word-level tokenizer. */
export interface WordTokenizerOptions {
  /** Keep only words seen at least this many times in the training text. Default 1. */
  minFrequency?: number;
  /** Keep at most this many words (the most frequent), special tokens not counted. Default: no limit. */
  maxWords?: number;
  /** Lower-case text before splitting, when training and when encoding. Default false. */
  lowercase?: boolean;
  /** Special tokens, given the first ids. Default `<pad> <s> </s> <unk>`. */
  specialTokens?: readonly string[];
  /** Which special token unknown words become. Default `<unk>` (BERT's vocabularies: `[UNK]`). */
  unkToken?: string;
}

/** One token per word or punctuation mark; decoding joins tokens with spaces, so the original spacing is lost. */
export class WordTokenizer implements TextTokenizer {
  /** The vocabulary: special tokens, then words by decreasing frequency (ties: first seen first). */
  readonly vocab: Vocabulary;
  /** Whether text is lower-cased before splitting. */
  readonly lowercase: boolean;

  /** A tokenizer over exactly these words. */
  constructor(words: readonly string[], options: Pick<WordTokenizerOptions, "lowercase" | "specialTokens" | "unkToken"> = {}) {
    this.vocab = new Vocabulary(words, options.specialTokens ?? COURSE_SPECIAL_TOKENS, options.unkToken);
    this.lowercase = options.lowercase === true;
  }

  /** Counts the words of `text` and keeps those seen at least `minFrequency` times. */
  static fromText(text: string, options: WordTokenizerOptions = {}): WordTokenizer {
    const minFrequency = options.minFrequency ?? 1;
    if (!Number.isInteger(minFrequency) || minFrequency < 1) {
      throw new RangeError(`WordTokenizer.fromText: minFrequency must be an integer ≥ 1, got ${minFrequency}`);
    }
    const maxWords = options.maxWords ?? Infinity;
    if (maxWords !== Infinity && (!Number.isInteger(maxWords) || maxWords < 0)) {
      throw new RangeError(`WordTokenizer.fromText: maxWords must be an integer ≥ 0, got ${maxWords}`);
    }
    const counts = new Map<string, number>();
    for (const word of splitWords(text, options)) counts.set(word, (counts.get(word) ?? 0) + 1);
    // Array.prototype.sort is stable, so equally frequent words stay in order of first appearance.
    const words = [...counts]
      .filter(([, count]) => count >= minFrequency)
      .sort((a, b) => b[1] - a[1])
      .slice(0, maxWords)
      .map(([word]) => word);
    return new WordTokenizer(words, options);
  }

  /** Number of ids, special tokens included. */
  get vocabSize(): number {
    return this.vocab.size;
  }

  /** The words of `text` (see {@link splitWords}) as ids; unknown words get the unknown token's id (`<unk>`). */
  encode(text: string): number[] {
    assertText(text, "encode");
    return splitWords(text, { lowercase: this.lowercase }).map((word, i) => this.vocab.idOrUnk(word, `(word ${i})`));
  }

  /** The tokens of `ids` joined by single spaces. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return this.vocab.tokensOf(ids, options).join(" ");
  }

  /** The id of a special token, or `undefined`. */
  specialTokenId(token: string): number | undefined {
    return this.vocab.specialId(token);
  }
}
