/**
 * Word-level tokenizers for the number-words corpus. Both vocabularies are closed and tiny, listed here in
 * full: every word the generators write, plus "-" (French and English hyphens) and "," (English, after
 * "thousand"), which are tokens of their own so "vingt-deux" and "trente-deux" share "deux".
 */
import { COURSE_SPECIAL_TOKENS } from "../tokenizers/specialTokens";
import type { DecodeOptions } from "../tokenizers/vocabulary";
import { splitWords, WordTokenizer } from "../tokenizers/word";
import type { NumberLanguage } from "./numberWords";

/** English words: 0–19, the tens, hundred, thousand, "and", "-" and "," (33 tokens). */
export const ENGLISH_NUMBER_TOKENS: readonly string[] = [
  "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
  "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
  "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
  "hundred", "thousand", "and", "-", ",",
];

/**
 * French words: 0–16 (17–19 are "dix-sept"…), the tens up to soixante, vingt's plural "vingts" (in
 * "quatre-vingts"), "cent", "cents", "mille", "et" and "-" (28 tokens).
 */
export const FRENCH_NUMBER_TOKENS: readonly string[] = [
  "zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf",
  "dix", "onze", "douze", "treize", "quatorze", "quinze", "seize",
  "vingt", "vingts", "trente", "quarante", "cinquante", "soixante",
  "cent", "cents", "mille", "et", "-",
];

/**
 * A {@link WordTokenizer} over one language's number words, with `<pad> <s> </s> <unk>` as ids 0–3. It
 * splits "ninety-nine thousand, one" into `ninety - nine thousand , one` and decodes back to the same text:
 * no space around "-" nor before ",".
 */
export class NumberWordsTokenizer extends WordTokenizer {
  readonly language: NumberLanguage;

  constructor(language: NumberLanguage) {
    if (language !== "en" && language !== "fr") throw new RangeError(`NumberWordsTokenizer: unknown language ${JSON.stringify(language)}; use "en" or "fr"`);
    super(language === "en" ? ENGLISH_NUMBER_TOKENS : FRENCH_NUMBER_TOKENS, { lowercase: true, specialTokens: COURSE_SPECIAL_TOKENS });
    this.language = language;
  }

  /** The token strings of `text` (unknown words kept as they are, not as `<unk>`). */
  tokenize(text: string): string[] {
    return splitWords(text, { lowercase: true });
  }

  /** The text of `ids`, with the corpus' spacing ("quatre-vingt-dix", "thousand, one"). */
  override decode(ids: readonly number[], options: DecodeOptions = {}): string {
    return joinNumberTokens(this.vocab.tokensOf(ids, options));
  }
}

/** Joins tokens into text: a space between words, none around "-" and none before ",". */
export function joinNumberTokens(tokens: readonly string[]): string {
  let out = "";
  tokens.forEach((token, i) => {
    const previous = i > 0 ? tokens[i - 1] : undefined;
    if (i > 0 && token !== "-" && token !== "," && previous !== "-") out += " ";
    out += token;
  });
  return out;
}
