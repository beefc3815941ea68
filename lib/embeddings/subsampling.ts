/**
 * Subsampling of frequent words (Mikolov et al. 2013): "the" or "of" teach little about their neighbours
 * once seen a few thousand times, so each occurrence is dropped at random, more often the more frequent
 * the word. Dropping them also brings farther words into each window.
 */

/**
 * The probability of keeping one occurrence of a word seen `count` times in `totalWords`, with threshold
 * `sample` (word2vec's default 1e-3), as the word2vec C code and gensim compute it:
 * keep = (√(f / t) + 1) · t / f with f = count and t = sample · totalWords, capped at 1.
 * Words rarer than about t are always kept; `sample` = 0 keeps everything.
 */
export function keepProbability(count: number, totalWords: number, sample = 1e-3): number {
  if (!Number.isFinite(count) || count <= 0) throw new RangeError(`keepProbability: count must be a positive number, got ${count}`);
  if (!Number.isFinite(totalWords) || totalWords < count) {
    throw new RangeError(`keepProbability: totalWords must be a number ≥ count (${count}), got ${totalWords}`);
  }
  if (!Number.isFinite(sample) || sample < 0 || sample >= 1) throw new RangeError(`keepProbability: sample must be in [0, 1), got ${sample}`);
  if (sample === 0) return 1;
  const threshold = sample * totalWords;
  return Math.min(1, (Math.sqrt(count / threshold) + 1) * (threshold / count));
}

/** {@link keepProbability} for every word of a vocabulary, total = Σ counts. */
export function keepProbabilities(counts: ArrayLike<number>, sample = 1e-3): Float64Array {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i]!;
  return Float64Array.from({ length: counts.length }, (_, i) => keepProbability(counts[i]!, total, sample));
}
