/**
 * Positive pointwise mutual information: raw co-occurrence counts are dominated by frequent words ("the"
 * is near everything); PMI asks instead whether two words meet more often than chance would make them.
 */

/** Options of {@link ppmi}. */
export interface PpmiOptions {
  /**
   * Context-distribution smoothing (Levy, Goldberg & Dagan 2015): context counts are raised to this power
   * before normalising, which lifts rare contexts' probabilities and tames their PMI. 1 = no smoothing
   * (default); 0.75 is the word2vec-inspired choice.
   */
  alpha?: number;
}

/**
 * PPMI(w, c) = max(0, log₂ P(w, c) / (P(w)·P(c))) for a matrix of counts (rows: words, columns: contexts),
 * with P(w, c) = n(w, c)/N, P(w) = row sum/N, P(c) = column sum/N. Pairs never seen get 0 (not −∞).
 */
export function ppmi(counts: readonly (readonly number[])[], options: PpmiOptions = {}): number[][] {
  const alpha = options.alpha ?? 1;
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`ppmi: alpha must be a positive number, got ${alpha}`);
  if (!Array.isArray(counts) || counts.length === 0) throw new RangeError("ppmi: expected a non-empty matrix of counts");
  const columns = counts[0]!.length;
  const rowSums = new Float64Array(counts.length);
  const columnSums = new Float64Array(columns);
  let total = 0;
  counts.forEach((row, i) => {
    if (row.length !== columns) throw new RangeError(`ppmi: row ${i} has ${row.length} entries, row 0 has ${columns}`);
    row.forEach((x: number, j: number) => {
      if (!Number.isFinite(x) || x < 0) throw new RangeError(`ppmi: counts must be finite numbers ≥ 0, got ${x} at [${i}][${j}]`);
      rowSums[i] += x;
      columnSums[j] += x;
      total += x;
    });
  });
  if (total === 0) throw new RangeError("ppmi: all counts are zero");
  let smoothedTotal = 0;
  const contextWeight = Float64Array.from(columnSums, (x) => x ** alpha);
  for (const x of contextWeight) smoothedTotal += x;
  return counts.map((row, i) =>
    row.map((x: number, j: number) => {
      if (x === 0) return 0;
      const pmi = Math.log2((x / total) / ((rowSums[i]! / total) * (contextWeight[j]! / smoothedTotal)));
      return Math.max(0, pmi);
    }),
  );
}
