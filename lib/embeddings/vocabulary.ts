/**
 * word2vec's vocabulary: the words seen at least `minCount` times, most frequent first, with their counts
 * (needed for the negative-sampling distribution and for subsampling frequent words).
 */

/** Words kept for training, with their counts. */
export interface WordCounts {
  /** Most frequent first; equal counts keep order of first appearance. */
  words: string[];
  /** `counts[i]`: occurrences of `words[i]` in the corpus. */
  counts: number[];
  /** Row of each word. */
  index: Map<string, number>;
  /** Occurrences of kept words (Σ counts). */
  totalWords: number;
  /** Occurrences of every word, dropped ones included. */
  rawWords: number;
}

/** Checks that `sentences` is an array of arrays of non-empty strings; the error says where it is not. */
export function checkSentences(sentences: unknown, caller: string): asserts sentences is readonly (readonly string[])[] {
  if (!Array.isArray(sentences)) {
    throw new TypeError(`${caller}: expected tokenized sentences (an array of arrays of words), got ${sentences === null ? "null" : typeof sentences}`);
  }
  for (let s = 0; s < sentences.length; s++) {
    const sentence: unknown = sentences[s];
    if (!Array.isArray(sentence)) {
      throw new TypeError(`${caller}: sentence ${s} is ${typeof sentence === "string" ? "a string" : typeof sentence}, not an array of words (split it into tokens first)`);
    }
    for (let t = 0; t < sentence.length; t++) {
      const token: unknown = sentence[t];
      if (typeof token !== "string" || token === "") throw new TypeError(`${caller}: word ${t} of sentence ${s} is not a non-empty string`);
    }
  }
}

/** Counts the words of `sentences` and keeps those seen at least `minCount` times. */
export function buildVocabulary(sentences: readonly (readonly string[])[], minCount = 1): WordCounts {
  checkSentences(sentences, "buildVocabulary");
  if (!Number.isInteger(minCount) || minCount < 1) throw new RangeError(`buildVocabulary: minCount must be an integer ≥ 1, got ${minCount}`);
  const counts = new Map<string, number>();
  let rawWords = 0;
  for (const sentence of sentences) {
    for (const word of sentence) counts.set(word, (counts.get(word) ?? 0) + 1);
    rawWords += sentence.length;
  }
  if (rawWords === 0) throw new RangeError("buildVocabulary: the corpus is empty (no words)");
  // Array.prototype.sort is stable, so equal counts stay in order of first appearance.
  const kept = [...counts].filter(([, count]) => count >= minCount).sort((a, b) => b[1] - a[1]);
  if (kept.length === 0) {
    const best = Math.max(...counts.values());
    throw new RangeError(`buildVocabulary: no word occurs ${minCount} times or more (the most frequent occurs ${best} times): lower minCount or use more text`);
  }
  const words = kept.map(([word]) => word);
  return {
    words,
    counts: kept.map(([, count]) => count),
    index: new Map(words.map((word, i) => [word, i])),
    totalWords: kept.reduce((sum, [, count]) => sum + count, 0),
    rawWords,
  };
}
