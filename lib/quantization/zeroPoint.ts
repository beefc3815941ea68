/**
 * Zero-point (asymmetric, "min-max") quantization, as in the blog post the seeds cite:
 * scale = (max − min) / (2^b − 1), zeroPoint = round(−min / scale) + qmin, q = round(x / scale) + zeroPoint,
 * on signed codes (int8: −128…127, so zeroPoint = round(−min / scale) − 128). Every level is used, which
 * suits lopsided ranges such as ReLU outputs; the cost is one zero point per scale.
 *
 * The range is first widened to contain 0, as PyTorch's observers do: then 0 is exactly representable
 * (padding and ReLU zeros stay zeros) and the zero point always fits the code type (for values in [1, 2]
 * the formula would otherwise give −383, not an int8). For ranges that straddle 0, the usual case for
 * weights, nothing changes.
 * Example: [−1, 0, 2] → scale 3/255, zeroPoint = round(85) − 128 = −43, q = [−128, −43, 127].
 */
import { asymmetricRange, checkFinite, checkValues, dequantizeValue, LevelRange, quantizeValue } from "./affine";
import { clamp, roundHalfEven } from "./rounding";
import { offLimitsDuringChecks } from "../grading/off-limits";

/** Scale and zero point of a range. */
export interface ZeroPointParams {
  readonly scale: number;
  readonly zeroPoint: number;
}

/** The zero point that puts 0 on a level, for a given scale (clamped: a rounded scale can push it one level out). */
export const zeroPointFor = offLimitsDuringChecks("zeroPointFor", function zeroPointFor(min: number, scale: number, range: LevelRange): number {
  if (scale === 0) return 0;
  return clamp(roundHalfEven(-Math.min(min, 0) / scale) + range.qmin, range.qmin, range.qmax);
});

/** Scale and zero point of a group spanning [min, max], widened to contain 0: scale = (max − min) / (2^b − 1). */
export const zeroPointParamsOf = offLimitsDuringChecks("zeroPointParamsOf", function zeroPointParamsOf(min: number, max: number, bits = 8): ZeroPointParams {
  const range = asymmetricRange(bits);
  const lo = Math.min(min, 0);
  const scale = (Math.max(max, 0) - lo) / (range.qmax - range.qmin);
  return { scale, zeroPoint: zeroPointFor(lo, scale, range) };
});

/** Scale and zero point of values[start, end); scale 0 and zero point 0 when they are all zero. */
export const zeroPointParams = offLimitsDuringChecks("zeroPointParams", function zeroPointParams(values: ArrayLike<number>, bits = 8, start = 0, end = values.length): ZeroPointParams {
  checkFinite(values, start, end, "zeroPointParams");
  let min = 0;
  let max = 0;
  for (let i = start; i < end; i++) {
    const x = values[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  return zeroPointParamsOf(min, max, bits);
});

/** Codes, scale and zero point of a whole array. */
export interface ZeroPointQuantized extends ZeroPointParams {
  readonly values: Int8Array;
  readonly bits: number;
}

/** The whole array with one scale and zero point (per tensor). */
export const zeroPointQuantize = offLimitsDuringChecks("zeroPointQuantize", function zeroPointQuantize(values: ArrayLike<number>, bits = 8): ZeroPointQuantized {
  checkValues(values, "zeroPointQuantize");
  const range = asymmetricRange(bits);
  const { scale, zeroPoint } = zeroPointParams(values, bits);
  const q = new Int8Array(values.length);
  for (let i = 0; i < values.length; i++) q[i] = quantizeValue(values[i]!, scale, zeroPoint, range);
  return { values: q, scale, zeroPoint, bits };
});

/** x̂ = (q − zeroPoint) × scale. */
export const zeroPointDequantize = offLimitsDuringChecks("zeroPointDequantize", function zeroPointDequantize(codes: ArrayLike<number>, scale: number, zeroPoint: number): Float32Array {
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) out[i] = dequantizeValue(codes[i]!, scale, zeroPoint);
  return out;
});
