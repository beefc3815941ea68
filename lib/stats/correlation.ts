/**
 * Correlation coefficients for comparing two lists of scores, e.g. the similarities two embedding models
 * give to the same word pairs: Pearson on the values, Spearman on their ranks (ties share a rank).
 */

function checkPaired(x: ArrayLike<number>, y: ArrayLike<number>, caller: string): void {
  if (x === null || y === null || typeof x !== "object" || typeof y !== "object") {
    throw new TypeError(`${caller}: expected two arrays of numbers`);
  }
  if (x.length !== y.length) throw new RangeError(`${caller}: the two lists differ in length (${x.length} vs ${y.length})`);
  if (x.length < 2) throw new RangeError(`${caller}: needs at least 2 pairs of values, got ${x.length}`);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i]) || !Number.isFinite(y[i])) {
      throw new RangeError(`${caller}: value ${i} is not a finite number (x=${String(x[i])}, y=${String(y[i])})`);
    }
  }
}

/**
 * Ranks from 1 (smallest) to n; tied values get the mean of the ranks they span (the "fractional" ranking
 * Spearman's coefficient needs): `ranks([10, 20, 20, 5])` → `[2, 3.5, 3.5, 1]`.
 */
export function ranks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(values[i])) throw new RangeError(`ranks: value ${i} is NaN, which has no rank`);
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a]! - values[b]!);
  const result = new Float64Array(n);
  let start = 0;
  while (start < n) {
    let end = start + 1;
    while (end < n && values[order[end]!] === values[order[start]!]) end++;
    // Positions start…end-1 (0-based) hold equal values: each gets the mean of ranks start+1…end.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) result[order[k]!] = rank;
    start = end;
  }
  return result;
}

/** Pearson's correlation coefficient of paired values, in [-1, 1]; NaN when one list is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, "pearson");
  const n = x.length;
  let meanX = 0;
  let meanY = 0;
  for (let i = 0; i < n; i++) {
    meanX += x[i]!;
    meanY += y[i]!;
  }
  meanX /= n;
  meanY /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - meanX;
    const dy = y[i]! - meanY;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  // Rounding can push |r| a hair above 1 for perfectly correlated data.
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Spearman's rank correlation: Pearson's coefficient of the ranks, ties averaged (as
 * `scipy.stats.spearmanr` computes it). 1 when y grows with x, whatever the shape; NaN when one list is constant.
 */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, "spearman");
  return pearson(ranks(x), ranks(y));
}
