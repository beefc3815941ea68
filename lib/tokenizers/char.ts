/**
 * Character-level tokenizer: one token per Unicode character (code point), the vocabulary being the
 * characters seen in a training text. Tiny vocabulary, long sequences, and any unseen character becomes <unk>.
 */
import { assertText } from "./text";
import { COURSE_SPECIAL_TOKENS } from "./specialTokens";
import type { TextTokenizer } from "./types";
import { Vocabulary, type DecodeOptions } from "./vocabulary";

/** Options of a character-level tokenizer. */
export interface CharTokenizerOptions {
  /** Special tokens, given the first ids. Default `<pad> <s> </s> <unk>`. */
  specialTokens?: readonly string[];
}

/** One token per character; characters are code points, so an emoji is one token, not two UTF-16 halves. */
export class CharTokenizer implements TextTokenizer {
  /** The vocabulary: special tokens, then the characters in code-point order. */
  readonly vocab: Vocabulary;

  /** A tokenizer over exactly these characters (each must be a single code point). */
  constructor(chars: Iterable<string>, options: CharTokenizerOptions = {}) {
    const list = [...chars];
    list.forEach((ch, i) => {
      if (typeof ch !== "string" || [...ch].length !== 1) {
        throw new TypeError(`CharTokenizer: chars[${i}] must be a single character, got ${JSON.stringify(ch)}`);
      }
    });
    this.vocab = new Vocabulary(list, options.specialTokens ?? COURSE_SPECIAL_TOKENS);
  }

  /** The characters of `text`, deduplicated and sorted by code point, become the vocabulary. */
  static fromText(text: string, options: CharTokenizerOptions = {}): CharTokenizer {
    assertText(text, "CharTokenizer.fromText");
    const chars = [...new Set(text)].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    return new CharTokenizer(chars, options);
  }

  /** Number of ids, special tokens included. */
  get vocabSize(): number {
    return this.vocab.size;
  }

  /** One id per character; characters missing from the vocabulary get `<unk>`'s id. */
  encode(text: string): number[] {
    assertText(text, "encode");
    const ids: number[] = [];
    let index = 0;
    for (const ch of text) {
      ids.push(this.vocab.idOrUnk(ch, `(character U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")} at index ${index})`));
      index += ch.length;
    }
    return ids;
  }

  /** The characters of `ids` joined; special tokens appear as their text unless skipped. */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return this.vocab.tokensOf(ids, options).join("");
  }

  /** The id of a special token, or `undefined`. */
  specialTokenId(token: string): number | undefined {
    return this.vocab.specialId(token);
  }
}
