/**
 * Counting-based word vectors: a word is described by how often every other word appears near it
 * ("you shall know a word by the company it keeps", Firth 1957). Row i of the co-occurrence matrix is
 * word i's vector, as long as the vocabulary.
 */

/** A word–word co-occurrence matrix with its vocabulary (row and column order). */
export interface CooccurrenceMatrix {
  vocabulary: string[];
  /** `counts[i][j]`: how many times word j appears within the window of an occurrence of word i (symmetric). */
  counts: number[][];
}

/** Options of {@link cooccurrenceMatrix}. */
export interface CooccurrenceOptions {
  /**
   * How far a context reaches on each side: `2` counts the 2 words before and the 2 after; `"sentence"`
   * counts every other word of the same sentence. Windows never cross sentences.
   */
  window: number | "sentence";
  /** Row/column order; default: words in order of first appearance. Words outside it are ignored. */
  vocabulary?: readonly string[];
}

/**
 * Counts co-occurrences in tokenized sentences with a symmetric window: every pair of positions i ≠ j of
 * a sentence with |i − j| ≤ window adds 1 to counts[wᵢ][wⱼ] (so the matrix is symmetric, its diagonal
 * counts a word meeting itself nearby).
 */
export function cooccurrenceMatrix(sentences: readonly (readonly string[])[], options: CooccurrenceOptions): CooccurrenceMatrix {
  if (!Array.isArray(sentences)) throw new TypeError("cooccurrenceMatrix: sentences must be an array of token arrays, e.g. [[\"the\", \"cat\"], …]");
  const { window } = options;
  if (window !== "sentence" && (!Number.isInteger(window) || window < 1)) {
    throw new RangeError(`cooccurrenceMatrix: window must be an integer ≥ 1 or "sentence", got ${String(window)}`);
  }
  sentences.forEach((sentence, s) => {
    if (!Array.isArray(sentence)) throw new TypeError(`cooccurrenceMatrix: sentence ${s} is not an array of tokens (tokenize the text first)`);
    sentence.forEach((token, t) => {
      if (typeof token !== "string" || token === "") throw new TypeError(`cooccurrenceMatrix: token ${t} of sentence ${s} is not a non-empty string`);
    });
  });
  const vocabulary = options.vocabulary !== undefined ? options.vocabulary.slice() : firstAppearanceOrder(sentences);
  if (vocabulary.length === 0) throw new RangeError("cooccurrenceMatrix: the corpus is empty (no tokens)");
  const index = new Map<string, number>();
  vocabulary.forEach((word, i) => {
    if (index.has(word)) throw new RangeError(`cooccurrenceMatrix: "${word}" appears twice in the vocabulary`);
    index.set(word, i);
  });
  const counts = vocabulary.map(() => new Array<number>(vocabulary.length).fill(0));
  for (const sentence of sentences) {
    const reach = window === "sentence" ? sentence.length : window;
    for (let i = 0; i < sentence.length; i++) {
      const row = index.get(sentence[i]!);
      if (row === undefined) continue;
      const end = Math.min(sentence.length - 1, i + reach);
      for (let j = Math.max(0, i - reach); j <= end; j++) {
        if (j === i) continue;
        const column = index.get(sentence[j]!);
        if (column !== undefined) counts[row]![column]! += 1;
      }
    }
  }
  return { vocabulary, counts };
}

function firstAppearanceOrder(sentences: readonly (readonly string[])[]): string[] {
  const seen = new Set<string>();
  for (const sentence of sentences) for (const token of sentence) seen.add(token);
  return [...seen];
}
