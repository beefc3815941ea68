/**
 * Text → tokenized sentences for word embeddings: lower-case words (letters, with inner apostrophes as in
 * "whale's"), punctuation and numbers dropped, one array per sentence so that windows stop at sentence ends.
 */
import { loadMobyDick } from "../data/books";

/** A word: letters (any script), possibly joined by apostrophes ("don't", "whale's"). */
export const EMBEDDING_WORD_PATTERN = /\p{L}+(?:['’]\p{L}+)*/gu;

/** Where a sentence ends: . ! ? (runs of them too), or a blank line (titles, headings). */
const SENTENCE_END = /[.!?]+|\n\s*\n/;

/**
 * Cuts `text` into sentences of lower-case words: `"Call me Ishmael. Some years ago…"` →
 * `[["call", "me", "ishmael"], ["some", "years", "ago"]]`. Typographic apostrophes become "'"; sentences
 * without words are dropped.
 */
export function sentencesOf(text: string): string[][] {
  if (typeof text !== "string") throw new TypeError(`sentencesOf: expected a string, got ${text === null ? "null" : typeof text}`);
  const sentences: string[][] = [];
  for (const part of text.split(SENTENCE_END)) {
    const words = part.toLowerCase().match(EMBEDDING_WORD_PATTERN);
    if (words !== null) sentences.push(words.map((word) => word.replace(/’/g, "'")));
  }
  return sentences;
}

/** Moby-Dick as tokenized sentences (about 10,000 sentences, 215,000 words); `maxWords` keeps only the beginning. */
export function mobyDickSentences(maxWords = Infinity): string[][] {
  if (!(maxWords > 0)) throw new RangeError(`mobyDickSentences: maxWords must be positive, got ${maxWords}`);
  const all = sentencesOf(loadMobyDick());
  if (maxWords === Infinity) return all;
  const result: string[][] = [];
  let words = 0;
  for (const sentence of all) {
    if (words >= maxWords) break;
    const room = maxWords - words;
    result.push(sentence.length <= room ? sentence : sentence.slice(0, room));
    words += Math.min(sentence.length, room);
  }
  return result;
}
