/**
 * IEEE 754 half precision (FP16): 1 sign bit, 5 exponent bits with bias 15, 10 mantissa bits. Normal values
 * are (−1)^s × 2^(e − 15) × (1 + m/1024) for stored exponents e = 1…30; e = 0 holds zero and the subnormals
 * m × 2^−24; e = 31 holds ±Infinity (m = 0) and NaN. Largest finite value 65504 (0x7BFF).
 *
 * Node 20 has no Float16Array, so the encoder is written out. It rounds the exact JavaScript number to
 * the nearest FP16, ties to even, in one step: rounding to FP32 first and then to FP16 can land on a
 * different value when the FP32 rounding creates a false tie. A value held in a Float32Array is exact in
 * FP64, so Float32Array weights encode exactly as PyTorch's `tensor.half()` does.
 */
import { roundHalfEven } from "./rounding";
import { checkBits, checkNumber } from "./float32";

const scratch = new DataView(new ArrayBuffer(8));

/** The power of two of a normal double: its stored exponent field minus 1023. */
function binaryExponent(a: number): number {
  scratch.setFloat64(0, a);
  return ((scratch.getUint16(0) >>> 4) & 0x7ff) - 1023;
}

/** Exact powers of two 2^−14 … 2^25, the scalings the encoder needs, indexed by k + 14. */
const POW2: number[] = (() => {
  const table: number[] = [];
  for (let k = -14, p = 2 ** -14; k <= 25; k++, p *= 2) table.push(p);
  return table;
})();
const pow2 = (k: number): number => POW2[k + 14]!;

/** The 16-bit FP16 pattern nearest to `x`, ties to even (1 → 0x3C00, π → 0x4248, 0.1 → 0x2E66, 1e5 → 0x7C00 = Infinity). */
export function fp16Bits(x: number): number {
  checkNumber(x, "fp16Bits");
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  // 65520 is halfway between 65504 (odd mantissa 0x3FF) and 65536, so ties-to-even already overflows there.
  if (a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -14) {
    // Subnormal range: a fixed quantum of 2^−24. A result of 1024 is the smallest normal, 0x0400, as it should be.
    return sign | roundHalfEven(a * pow2(24));
  }
  const e = binaryExponent(a);
  // a × 2^(10 − e) lies in [1024, 2048): the significand with its leading 1, in units of the last mantissa bit.
  const significand = roundHalfEven(a * pow2(10 - e));
  // Rounding up to 2048 carries into the exponent field through the addition: that is the right result.
  return sign | (((e + 15) << 10) + (significand - 1024));
}

/** The value of a 16-bit FP16 pattern (0x4248 → 3.140625, 0x7BFF → 65504, 0x0001 → 2^−24). */
export function fp16FromBits(bits: number): number {
  checkBits(bits, 16, "fp16FromBits");
  return decodeFp16(bits);
}

function decodeFp16(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** `x` rounded to the nearest FP16 value (π → 3.140625, 65519 → 65504, 65520 → Infinity). */
export function toFp16(x: number): number {
  return decodeFp16(fp16Bits(x));
}

let decodeTable: Float32Array | null = null;
/** Every FP16 value as an FP32 (all 65,536 fit exactly), built on first use: decoding arrays becomes a lookup. */
function fp16Table(): Float32Array {
  if (decodeTable === null) {
    decodeTable = new Float32Array(65536);
    for (let bits = 0; bits < 65536; bits++) decodeTable[bits] = decodeFp16(bits);
  }
  return decodeTable;
}

/** FP16 codes of every value (what a `.half()` tensor or an ONNX float16 initializer stores). */
export function encodeFp16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = fp16Bits(values[i]!);
  return out;
}

/** The values of FP16 codes, as FP32 (exact: FP16 ⊂ FP32). */
export function decodeFp16Array(codes: Uint16Array): Float32Array {
  const table = fp16Table();
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = table[codes[i]!]!;
  return out;
}

/** Every value rounded to FP16 and back: what a model computes with after `.half()`. */
export function roundToFp16(values: ArrayLike<number>): Float32Array {
  return decodeFp16Array(encodeFp16(values));
}
