/**
 * bfloat16 (BF16, "brain float"): 1 sign bit, 8 exponent bits with bias 127, 7 mantissa bits — the top
 * half of an FP32. It keeps FP32's range (up to ≈ 3.39e38, so no overflow where FP16 overflows past
 * 65504) and gives up precision (about 2.4 significant digits, against 3.3 for FP16).
 *
 * Conversion follows PyTorch, TensorFlow and JAX: round the number to FP32 first, then drop the low 16
 * bits rounding to nearest, ties to even. Rounding twice can differ from rounding the exact number once,
 * when the FP32 step lands exactly on a BF16 tie: 1 + 2^−8 + 2^−30 becomes the tie 1 + 2^−8 in FP32, then
 * 1.0 in BF16, where a single rounding would give 1.0078125.
 */
import { checkBits, checkNumber, fp32Bits, fp32FromBits } from "./float32";

/** The 16-bit BF16 pattern of `x` (1 → 0x3F80, π → 0x4049, −2 → 0xC000), via FP32, ties to even. */
export function bf16Bits(x: number): number {
  checkNumber(x, "bf16Bits");
  const bits = fp32Bits(x);
  // Rounding a NaN's payload could carry it into Infinity; keep it a quiet NaN with its sign.
  if (Number.isNaN(x)) return (bits >>> 16) | 0x0040;
  const lowestKept = (bits >>> 16) & 1;
  // Adding 0x7FFF + the lowest kept bit rounds the low half away exactly when it is above half, or a tie
  // next to an odd kept bit; a carry past the largest finite value yields Infinity, as it should.
  return ((bits + 0x7fff + lowestKept) >>> 16) & 0xffff;
}

/** The value of a 16-bit BF16 pattern (0x4049 → 3.140625, 0x7F80 → Infinity). */
export function bf16FromBits(bits: number): number {
  checkBits(bits, 16, "bf16FromBits");
  return fp32FromBits(bits * 65536);
}

/** `x` rounded to BF16 (π → 3.140625, 1e38 stays ≈ 9.97e37, no overflow). */
export function toBf16(x: number): number {
  return bf16FromBits(bf16Bits(x));
}

/** BF16 codes of every value. */
export function encodeBf16(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = bf16Bits(values[i]!);
  return out;
}

/** The values of BF16 codes, as FP32 (exact: a BF16 is an FP32 with 16 zero bits appended). */
export function decodeBf16Array(codes: Uint16Array): Float32Array {
  const out = new Float32Array(codes.length);
  const asBits = new Uint32Array(out.buffer);
  for (let i = 0; i < codes.length; i++) asBits[i] = codes[i]! * 65536;
  return out;
}

/** Every value rounded to BF16 and back. */
export function roundToBf16(values: ArrayLike<number>): Float32Array {
  return decodeBf16Array(encodeBf16(values));
}
