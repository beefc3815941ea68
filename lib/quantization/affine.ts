/**
 * The map every integer scheme here shares: q = clamp(round(x / scale) + zeroPoint, qmin, qmax) and back
 * x̂ = (q − zeroPoint) × scale. Absmax is the case zeroPoint = 0 with a symmetric range; zero-point
 * quantization shifts the grid so that [min, max] fills every level. Rounding is half to even, as in
 * PyTorch's `torch.round`, which the blog post the seeds cite (M. Labonne, "Introduction to Weight
 * Quantization") uses.
 */
import { clamp, roundHalfEven } from "./rounding";

/** The integer levels a code may take. */
export interface LevelRange {
  readonly qmin: number;
  readonly qmax: number;
}

/** Throws unless `bits` is an integer 2…8 (the codes are held in an Int8Array). */
export function checkBitWidth(bits: number, where: string): void {
  if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 2 || bits > 8) {
    throw new RangeError(`${where}: bits must be an integer from 2 to 8, got ${bits}`);
  }
}

/** Symmetric levels −(2^(b−1) − 1) … 2^(b−1) − 1: int8 −127…127, int4 −7…7 (the lowest code, −128 or −8, is left unused so that 0 sits in the middle). */
export function symmetricRange(bits: number): LevelRange {
  checkBitWidth(bits, "symmetricRange");
  const qmax = 2 ** (bits - 1) - 1;
  return { qmin: -qmax, qmax };
}

/** Every two's-complement level −2^(b−1) … 2^(b−1) − 1: int8 −128…127, int4 −8…7. */
export function asymmetricRange(bits: number): LevelRange {
  checkBitWidth(bits, "asymmetricRange");
  return { qmin: -(2 ** (bits - 1)), qmax: 2 ** (bits - 1) - 1 };
}

/** One value's code. A scale of 0 (an all-zero group) maps everything to the zero point. */
export function quantizeValue(x: number, scale: number, zeroPoint: number, range: LevelRange): number {
  if (scale === 0) return zeroPoint;
  return clamp(roundHalfEven(x / scale) + zeroPoint, range.qmin, range.qmax);
}

/** One code's value. */
export function dequantizeValue(q: number, scale: number, zeroPoint: number): number {
  return (q - zeroPoint) * scale;
}

/** Throws on a non-finite entry of values[start, end), naming it: no scale can represent NaN or Infinity. */
export function checkFinite(values: ArrayLike<number>, start: number, end: number, where: string): void {
  for (let i = start; i < end; i++) {
    const x = values[i]!;
    if (!Number.isFinite(x)) throw new RangeError(`${where}: value ${i} is ${x}; quantization needs finite numbers`);
  }
}

/** Throws unless `values` is a non-empty array of numbers. */
export function checkValues(values: ArrayLike<number>, where: string): void {
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new TypeError(`${where}: expected an array of numbers (e.g. a Float32Array)`);
  }
  if (values.length === 0) throw new RangeError(`${where}: the array is empty`);
}
