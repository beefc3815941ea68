/**
 * Number helpers the benchmarks share (bench/run.ts only runs the files directly in bench/, so shared code
 * lives in this sub-folder).
 */

/** `x` rounded to `digits` decimals, as a number (for the JSON lines). */
export function round(x: number, digits: number): number {
  return Number(x.toFixed(digits));
}

/** The median of a non-empty list (the mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("median: no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
