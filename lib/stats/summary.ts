/** Order statistics of a list of measurements (latencies, distances). */

/** The nearest-rank `p`-th percentile (0 < p ≤ 100) of a non-empty list: `percentile(latencies, 95)`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile: no values");
  if (!(p > 0 && p <= 100)) throw new Error(`percentile: p must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.ceil((p / 100) * sorted.length)) - 1]!;
}
