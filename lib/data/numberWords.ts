/**
 * Number words in English and French for 0 … 999,999: the generated parallel corpus of TP5–TP7's
 * translation models (English → French), offline and with exact answers to check against.
 * `numberWords(71, "fr")` → "soixante et onze", `numberWords(71, "en")` → "seventy-one".
 */
import { englishNumberWords } from "./numberWordsEn";
import { frenchNumberWords } from "./numberWordsFr";

export { checkNumberInRange, NUMBER_WORDS_MAX } from "./numberRange";
export { englishNumberWords } from "./numberWordsEn";
export { frenchNumberWords } from "./numberWordsFr";

/** The corpus' two languages: "en" (source) and "fr" (target). */
export type NumberLanguage = "en" | "fr";

/** `n` in words in `language`; throws on anything but an integer 0 … 999,999 or an unknown language. */
export function numberWords(n: number, language: NumberLanguage): string {
  if (language === "en") return englishNumberWords(n);
  if (language === "fr") return frenchNumberWords(n);
  throw new RangeError(`numberWords: unknown language ${JSON.stringify(language)}; use "en" or "fr"`);
}
