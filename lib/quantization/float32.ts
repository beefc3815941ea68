/**
 * IEEE 754 single precision (FP32): 1 sign bit, 8 exponent bits (bias 127), 23 mantissa bits. A
 * JavaScript number is an FP64; storing it in a Float32Array rounds it to the nearest FP32, ties to even
 * (`Math.fround` does the same), so the typed array is the reference encoder.
 */

const scratchFloat = new Float32Array(1);
// Same buffer seen as an integer: both views use the machine's byte order, so the bits come out right on any.
const scratchBits = new Uint32Array(scratchFloat.buffer);

/** Throws unless `x` is a number (NaN and ±Infinity are numbers and have encodings). */
export function checkNumber(x: number, where: string): void {
  if (typeof x !== "number") throw new TypeError(`${where}: expected a number, got ${typeof x}`);
}

/** Throws unless `bits` is an integer code of a `width`-bit format. */
export function checkBits(bits: number, width: number, where: string): void {
  if (typeof bits !== "number" || !Number.isInteger(bits) || bits < 0 || bits >= 2 ** width) {
    throw new RangeError(`${where}: expected an integer in [0, 0x${(2 ** width - 1).toString(16).toUpperCase()}], got ${bits}`);
  }
}

/** The 32-bit pattern of `x` rounded to FP32, as an unsigned integer (π → 0x40490FDB, 1 → 0x3F800000). */
export function fp32Bits(x: number): number {
  checkNumber(x, "fp32Bits");
  scratchFloat[0] = x;
  return scratchBits[0]!;
}

/** The value of a 32-bit FP32 pattern (0x40490FDB → 3.1415927410125732). */
export function fp32FromBits(bits: number): number {
  checkBits(bits, 32, "fp32FromBits");
  scratchBits[0] = bits;
  return scratchFloat[0]!;
}

/** `x` rounded to the nearest FP32 value (π → 3.1415927410125732). */
export function toFp32(x: number): number {
  checkNumber(x, "toFp32");
  return Math.fround(x);
}
