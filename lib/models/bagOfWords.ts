/**
 * Bag of words, the baseline every text classifier must beat: a text becomes the counts of the words of
 * a fixed vocabulary (order forgotten), damped as log(1 + count) so that a word repeated twenty times
 * does not outweigh twenty different words, and scaled to unit length so that long and short messages
 * are comparable. The vocabulary is the course's {@link WordTokenizer}, fitted on the training texts only.
 */
import { WordTokenizer } from "../tokenizers";
import type { SparseRow } from "./logistic";

/** Options of {@link BagOfWords.fit}. */
export interface BagOfWordsOptions {
  /** Keep words seen at least this many times in the training texts (default 2). */
  minFrequency?: number;
  /** Keep at most this many words, the most frequent (default 20,000). */
  maxFeatures?: number;
  /** Lower-case before counting (default true). */
  lowercase?: boolean;
}

/** Texts → sparse count vectors over a vocabulary learnt from training texts; words outside it are ignored. */
export class BagOfWords {
  readonly tokenizer: WordTokenizer;
  private readonly offset: number;

  private constructor(tokenizer: WordTokenizer) {
    this.tokenizer = tokenizer;
    this.offset = tokenizer.vocab.specialTokens.length;
  }

  /** A vocabulary of the words of `texts`: `const bow = BagOfWords.fit(train.map((m) => m.text))`. */
  static fit(texts: readonly string[], options: BagOfWordsOptions = {}): BagOfWords {
    if (!Array.isArray(texts) || texts.length === 0) throw new RangeError("BagOfWords.fit: expected a non-empty array of texts");
    const tokenizer = WordTokenizer.fromText(texts.join("\n"), {
      minFrequency: options.minFrequency ?? 2,
      maxWords: options.maxFeatures ?? 20_000,
      lowercase: options.lowercase ?? true,
      // One special token, for the words outside the vocabulary (they are then dropped).
      specialTokens: ["<unk>"],
    });
    return new BagOfWords(tokenizer);
  }

  /** Number of features: the words of the vocabulary. */
  get dim(): number {
    return this.tokenizer.vocabSize - this.offset;
  }

  /** The word of feature `index`. */
  word(index: number): string {
    const token = this.tokenizer.vocab.tokens[index + this.offset];
    if (token === undefined) throw new RangeError(`BagOfWords.word: feature ${index} is outside 0…${this.dim - 1}`);
    return token;
  }

  /** log(1 + count) of each known word of `text`, scaled to unit L2 norm (an empty vector for a text without known words). */
  transform(text: string): SparseRow {
    const counts = new Map<number, number>();
    for (const id of this.tokenizer.encode(text)) {
      if (id >= this.offset) counts.set(id - this.offset, (counts.get(id - this.offset) ?? 0) + 1);
    }
    const indices = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
    const values = Float32Array.from(indices, (i) => Math.log1p(counts.get(i)!));
    let norm = 0;
    for (const v of values) norm += v * v;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let k = 0; k < values.length; k++) values[k]! /= norm;
    return { indices, values };
  }
}
