/**
 * Rounding to an integer the way the formats and the libraries do it: ties go to the even neighbour
 * (IEEE 754's default, numpy's and PyTorch's `round`), so halves do not all drift the same way.
 * JavaScript's `Math.round` sends every tie up (−2.5 → −2, 2.5 → 3), which would bias quantized weights.
 */

/** `x` rounded to the nearest integer, ties to even (2.5 → 2, 3.5 → 4, −2.5 → −2). */
export function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const floor = Math.floor(x);
  // Exact for |x| < 2^52, where a fractional part exists at all; above, x is already an integer.
  const fraction = x - floor;
  if (fraction > 0.5) return floor + 1;
  if (fraction < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** `x` limited to [lo, hi]. */
export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
